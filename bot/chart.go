package bot

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/growthbot/growthbot/workflows"
)

// Chart colours: the estimate, its interval band and the zero line.
var (
	liftColor = color.NRGBA{R: 0x1d, G: 0x4f, B: 0x91, A: 0xff}
	bandColor = color.NRGBA{R: 0x1d, G: 0x4f, B: 0x91, A: 0x40} // not premultiplied: a light wash of the line colour
	zeroColor = color.NRGBA{R: 0x88, G: 0x88, B: 0x88, A: 0xff}
)

// LiftChartPNG draws a scorecard's primary metric's cumulative relative lift
// day by day, with its interval as a band and a dashed line at zero. The
// interval is the method's: with the sequential method it is valid at every
// look, which is why a daily chart may show it.
func LiftChartPNG(sc workflows.Scorecard) ([]byte, error) {
	if len(sc.Lift) < 2 {
		return nil, fmt.Errorf("chart: %d days of data; a line needs two", len(sc.Lift))
	}
	p := plot.New()
	e := sc.Experiment
	variant := ""
	if len(e.Variants) > 1 {
		variant = e.Variants[1].Key
	}
	p.Title.Text = fmt.Sprintf("%s: %s vs %s", e.Name, variant, e.Control())
	p.X.Label.Text = "day"
	p.Y.Label.Text = "cumulative lift (%)"
	p.Add(plotter.NewGrid())

	band := make(plotter.XYs, 0, 2*len(sc.Lift))
	line := make(plotter.XYs, 0, len(sc.Lift))
	for _, pt := range sc.Lift {
		band = append(band, plotter.XY{X: float64(pt.Day), Y: pt.High * 100})
		line = append(line, plotter.XY{X: float64(pt.Day), Y: pt.Lift * 100})
	}
	for i := len(sc.Lift) - 1; i >= 0; i-- {
		band = append(band, plotter.XY{X: float64(sc.Lift[i].Day), Y: sc.Lift[i].Low * 100})
	}
	poly, err := plotter.NewPolygon(band)
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	poly.Color = bandColor
	poly.LineStyle.Width = 0
	estimate, err := plotter.NewLine(line)
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	estimate.Color, estimate.Width = liftColor, vg.Points(2)
	zero, err := plotter.NewLine(plotter.XYs{{X: float64(sc.Lift[0].Day), Y: 0}, {X: float64(sc.Lift[len(sc.Lift)-1].Day), Y: 0}})
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	zero.Color, zero.Dashes = zeroColor, []vg.Length{vg.Points(4), vg.Points(4)}
	p.Add(poly, zero, estimate)
	p.Legend.Add("lift", estimate)
	p.Legend.Add(fmt.Sprintf("%g%% interval", (1-e.Alpha)*100), poly)
	p.Legend.Top = true
	p.Legend.Left = true

	w, err := p.WriterTo(8*vg.Inch, 4*vg.Inch, "png")
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	return buf.Bytes(), nil
}
