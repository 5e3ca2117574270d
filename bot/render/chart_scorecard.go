package render

import (
	"fmt"
	"image/color"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/growthbot/growthbot/workflows"
)

// Verdict classes of the interval chart, as its rows name them.
const (
	classBetter       = "better"
	classWorse        = "worse"
	classInconclusive = "inconclusive"
	classNoData       = "no data"
)

var verdictColors = map[string]color.Color{
	classBetter:       color.NRGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	classWorse:        color.NRGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	classInconclusive: color.NRGBA{R: 0x8c, G: 0x8c, B: 0x8c, A: 0xff},
}

// intervalRow is one metric and treatment of the interval chart.
type intervalRow struct {
	// Label names the metric and its role (and the treatment when there
	// are several); Text gives the estimate, interval and verdict.
	Label, Text string
	Class       string
	// Lift, Low and High are in the panel's unit (percent or pp).
	Lift, Low, High float64
}

// intervalPanel is the rows sharing one axis: relative lifts, or absolute
// differences.
type intervalPanel struct {
	XLabel   string
	Relative bool
	// Points: every row of an absolute panel is a rate, in percentage
	// points.
	Points     bool
	XMin, XMax float64
	Rows       []intervalRow // top to bottom
}

// intervalFigure is the interval chart's data model.
type intervalFigure struct {
	Title  string
	Panels []intervalPanel
}

// verdictClass sorts a result into better, worse or inconclusive.
func verdictClass(r workflows.MetricResult) string {
	switch {
	case r.Problem != "":
		return classNoData
	case r.Verdict == workflows.VerdictGood:
		return classBetter
	case r.Verdict == workflows.VerdictBad:
		return classWorse
	}
	return classInconclusive
}

// intervalChartFigure decides the chart of every metric of a scorecard as
// an interval bar coloured by its verdict, guardrails included: primary
// metrics first, then guardrails, then secondary metrics, as the card
// lists them. Relative lifts share an axis in percent; absolute
// differences, if any, get their own below.
func intervalChartFigure(sc workflows.Scorecard) (intervalFigure, error) {
	if !sc.HasIntervals() {
		return intervalFigure{}, fmt.Errorf("chart: no metric of %s has an interval yet", sc.Experiment.Key)
	}
	e := sc.Experiment
	f := intervalFigure{Title: fmt.Sprintf("%s, day %d: every metric against %s", e.Name, sc.Day, e.Control())}
	relative := intervalPanel{XLabel: "lift (%)", Relative: true}
	absolute := intervalPanel{XLabel: "absolute difference (pp for rates, the metric's unit otherwise)"}
	treatments, rates := len(e.Variants)-1, 0
	for _, r := range sc.Results {
		name := r.Metric.Name
		if name == "" {
			name = r.Metric.Key
		}
		label := fmt.Sprintf("%s (%s)", name, r.Role)
		if treatments > 1 {
			label = fmt.Sprintf("%s · %s (%s)", name, r.Variant, r.Role)
		}
		row := intervalRow{Label: label, Class: verdictClass(r)}
		if row.Class == classNoData {
			row.Text = "no data: " + strings.TrimSuffix(r.Problem, ".")
			relative.Rows = append(relative.Rows, row)
			continue
		}
		row.Text = fmt.Sprintf("%s [%s, %s] · %s", r.Format(r.Lift), r.Format(r.Low), r.Format(r.High), row.Class)
		scale := 100.0
		if r.Absolute() && r.Metric.Type != workflows.MetricProportion {
			scale = 1
		}
		row.Lift, row.Low, row.High = r.Lift*scale, r.Low*scale, r.High*scale
		if r.Absolute() {
			absolute.Rows = append(absolute.Rows, row)
			if r.Metric.Type == workflows.MetricProportion {
				rates++
			}
		} else {
			relative.Rows = append(relative.Rows, row)
		}
	}
	if len(absolute.Rows) > 0 && rates == len(absolute.Rows) {
		absolute.XLabel, absolute.Points = "absolute difference (percentage points)", true
	}
	for _, panel := range []intervalPanel{relative, absolute} {
		if len(panel.Rows) == 0 {
			continue
		}
		for _, row := range panel.Rows {
			if row.Class != classNoData {
				panel.XMin, panel.XMax = min(panel.XMin, row.Low, row.Lift), max(panel.XMax, row.High, row.Lift)
			}
		}
		pad := (panel.XMax - panel.XMin) * 0.08
		if pad == 0 {
			pad = 1
		}
		panel.XMin, panel.XMax = panel.XMin-pad, panel.XMax+pad
		f.Panels = append(f.Panels, panel)
	}
	return f, nil
}

// tickLabel labels the panel's axis.
func (panel intervalPanel) tickLabel(v float64) string {
	switch {
	case panel.Relative:
		return percentLabel(v)
	case panel.Points && v != 0:
		return plainLabel(v) + " pp"
	}
	return plainLabel(v)
}

// plot draws one panel: a bar per row from its interval's low to high end,
// a dot at the estimate, and a dashed line at zero.
func (panel intervalPanel) plot(title string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text, p.X.Label.Text = title, panel.XLabel
	n := len(panel.Rows)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = panel.XMin, panel.XMax, -0.5, float64(n)-0.5
	ticks := make([]plot.Tick, n)
	p.Add(plotter.NewGrid())
	zero, err := plotter.NewLine(plotter.XYs{{X: 0, Y: p.Y.Min}, {X: 0, Y: p.Y.Max}})
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	zero.Color, zero.Dashes = zeroColor, chartDashes
	p.Add(zero)
	for i, row := range panel.Rows {
		y := float64(n - 1 - i)
		ticks[i] = plot.Tick{Value: y, Label: row.Label + "\n" + row.Text}
		if row.Class == classNoData {
			continue
		}
		bar, err := plotter.NewLine(plotter.XYs{{X: row.Low, Y: y}, {X: row.High, Y: y}})
		if err != nil {
			return nil, fmt.Errorf("chart: %w", err)
		}
		bar.Color, bar.Width = verdictColors[row.Class], vg.Points(8)
		dot, err := plotter.NewScatter(plotter.XYs{{X: row.Lift, Y: y}})
		if err != nil {
			return nil, fmt.Errorf("chart: %w", err)
		}
		dot.Shape, dot.Color, dot.Radius = draw.CircleGlyph{}, color.Black, vg.Points(3)
		p.Add(bar, dot)
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Tick.Marker = axisTicks(panel.tickLabel)
	p.Y.Tick.Length = 0
	return p, nil
}

// Interval chart sizes: a band per row, and room for the title and axis.
const (
	intervalRowHeight = 0.6 * vg.Inch
	intervalPanelPad  = 1.1 * vg.Inch
)

// IntervalChartPNG draws every metric of a scorecard as an interval bar
// coloured by verdict: what the card says, as one picture.
func IntervalChartPNG(sc workflows.Scorecard) ([]byte, error) {
	f, err := intervalChartFigure(sc)
	if err != nil {
		return nil, err
	}
	heights := make([]vg.Length, len(f.Panels))
	var total vg.Length
	for i, panel := range f.Panels {
		heights[i] = intervalPanelPad + vg.Length(len(panel.Rows))*intervalRowHeight
		total += heights[i]
	}
	img := vgimg.NewWith(vgimg.UseWH(chartWidth, total), vgimg.UseDPI(chartDPI))
	dc := draw.New(img)
	top := total
	for i, panel := range f.Panels {
		title := ""
		if i == 0 {
			title = f.Title
		}
		p, err := panel.plot(title)
		if err != nil {
			return nil, err
		}
		c := draw.Crop(dc, 0, 0, top-heights[i], top-total)
		c = draw.Crop(c, vg.Points(8), -vg.Points(16), vg.Points(6), -vg.Points(6))
		p.Draw(c)
		top -= heights[i]
	}
	return pngBytes(img)
}
