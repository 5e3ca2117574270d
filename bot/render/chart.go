package render

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/growthbot/growthbot/workflows"
)

// Chart colours: the estimate, its interval band, the zero line, the
// marks of the plan and the days too early to judge.
var (
	liftColor  = color.NRGBA{R: 0x1d, G: 0x4f, B: 0x91, A: 0xff}
	bandColor  = color.NRGBA{R: 0x1d, G: 0x4f, B: 0x91, A: 0x40} // not premultiplied: a light wash of the line colour
	zeroColor  = color.NRGBA{R: 0x88, G: 0x88, B: 0x88, A: 0xff}
	markColor  = color.NRGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xff}
	earlyColor = color.NRGBA{R: 0x99, G: 0x99, B: 0x99, A: 0x30}
)

// Chart sizes, at Slack's usual preview resolution.
const (
	chartWidth = 8 * vg.Inch
	chartDPI   = 96
)

var chartDashes = []vg.Length{vg.Points(4), vg.Points(4)}

// chartMark is a vertical reference line of a chart: a day of the plan.
type chartMark struct {
	X     float64
	Label string
}

// liftFigure is the lift chart's data model: everything it shows, decided
// before anything is drawn, so that tests read what a person would see.
type liftFigure struct {
	Title, XLabel, YLabel string
	// Points are the days drawn, from the first the peeking rules allow a
	// verdict; Y values are Scale times the lift.
	Points []workflows.LiftPoint
	Scale  float64
	// Early is the span of days before Points, shaded as too early to
	// judge; empty when the line starts on day 1.
	EarlyFrom, EarlyTo float64
	XMin, XMax         float64
	YMin, YMax         float64
	// Marks are the experiment's min days and planned end.
	Marks []chartMark
	// Interval names the band: "95% interval".
	Interval string
}

// primaryResult returns the scorecard's result for its first primary
// metric and first treatment: what the lift series is about.
func primaryResult(sc workflows.Scorecard) (workflows.MetricResult, string) {
	e := sc.Experiment
	variant := ""
	if len(e.Variants) > 1 {
		variant = e.Variants[1].Key
	}
	if len(e.PrimaryMetrics) == 0 {
		return workflows.MetricResult{}, variant
	}
	r, ok := sc.Result(e.PrimaryMetrics[0], variant)
	if !ok {
		r.Metric.Key = e.PrimaryMetrics[0]
	}
	if r.Metric.Name == "" {
		r.Metric.Name = r.Metric.Key
	}
	return r, variant
}

// liftChartFigure decides the lift chart of a scorecard. It fails when
// fewer than two days allow a verdict: before that the line is noise.
func liftChartFigure(sc workflows.Scorecard) (liftFigure, error) {
	pts := sc.VerdictLift()
	if len(pts) < 2 {
		return liftFigure{}, fmt.Errorf("chart: %d days allow a verdict; a line needs two", len(pts))
	}
	e := sc.Experiment
	res, variant := primaryResult(sc)
	metric := res.Metric.Name
	f := liftFigure{Points: pts, Scale: 100, XLabel: "day of the experiment",
		Title:  fmt.Sprintf("%s: %s, %s vs %s", e.Name, metric, variant, e.Control()),
		YLabel: fmt.Sprintf("cumulative lift in %s (%%)", metric)}
	if pts[0].Absolute {
		f.YLabel = fmt.Sprintf("difference in %s", metric)
		if res.Metric.Type == workflows.MetricProportion {
			f.YLabel += " (pp)"
		} else {
			f.Scale = 1
		}
	}
	alpha := e.Alpha
	if alpha <= 0 || alpha >= 1 {
		alpha = workflows.DefaultAlpha
	}
	f.Interval = fmt.Sprintf("%g%% interval", (1-alpha)*100)
	first, last := float64(pts[0].Day), float64(pts[len(pts)-1].Day)
	f.XMin, f.XMax = 0.5, last+0.5
	if first > 1 {
		f.EarlyFrom, f.EarlyTo = 0.5, first
	}
	if e.MinDays > 0 {
		f.Marks = append(f.Marks, chartMark{X: float64(e.MinDays), Label: fmt.Sprintf("min days (%d)", e.MinDays)})
	}
	if e.PlannedDays > 0 {
		f.Marks = append(f.Marks, chartMark{X: float64(e.PlannedDays), Label: fmt.Sprintf("planned end (day %d)", e.PlannedDays)})
		f.XMax = max(f.XMax, float64(e.PlannedDays)+0.5)
	}
	f.YMin, f.YMax = 0, 0 // the zero line is always in view
	for _, p := range pts {
		f.YMin = min(f.YMin, p.Low*f.Scale, p.Lift*f.Scale)
		f.YMax = max(f.YMax, p.High*f.Scale, p.Lift*f.Scale)
	}
	pad := (f.YMax - f.YMin) * 0.08
	if pad == 0 {
		pad = 1
	}
	f.YMin, f.YMax = f.YMin-pad, f.YMax+pad
	return f, nil
}

// plot draws the figure.
func (f liftFigure) plot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = f.Title, f.XLabel, f.YLabel
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = f.XMin, f.XMax, f.YMin, f.YMax
	p.Add(plotter.NewGrid())
	if f.EarlyTo > f.EarlyFrom {
		early, err := plotter.NewPolygon(plotter.XYs{{X: f.EarlyFrom, Y: f.YMin}, {X: f.EarlyTo, Y: f.YMin}, {X: f.EarlyTo, Y: f.YMax},
			{X: f.EarlyFrom, Y: f.YMax}})
		if err != nil {
			return nil, fmt.Errorf("chart: %w", err)
		}
		early.Color, early.LineStyle.Width = earlyColor, 0
		p.Add(early)
		p.Legend.Add("too early for a verdict", early)
	}
	band := make(plotter.XYs, 0, 2*len(f.Points))
	line := make(plotter.XYs, 0, len(f.Points))
	for _, pt := range f.Points {
		band = append(band, plotter.XY{X: float64(pt.Day), Y: pt.High * f.Scale})
		line = append(line, plotter.XY{X: float64(pt.Day), Y: pt.Lift * f.Scale})
	}
	for i := len(f.Points) - 1; i >= 0; i-- {
		band = append(band, plotter.XY{X: float64(f.Points[i].Day), Y: f.Points[i].Low * f.Scale})
	}
	poly, err := plotter.NewPolygon(band)
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	poly.Color, poly.LineStyle.Width = bandColor, 0
	estimate, err := plotter.NewLine(line)
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	estimate.Color, estimate.Width = liftColor, vg.Points(2)
	zero, err := plotter.NewLine(plotter.XYs{{X: f.XMin, Y: 0}, {X: f.XMax, Y: 0}})
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	zero.Color, zero.Dashes = zeroColor, chartDashes
	p.Add(poly, zero, estimate)
	if err := addMarks(p, f.Marks, f.YMin, f.YMax); err != nil {
		return nil, err
	}
	p.Legend.Add("lift", estimate)
	p.Legend.Add(f.Interval, poly)
	// Before the first day judged there is no data: the legend goes
	// there, under the marks' labels.
	p.Legend.Top, p.Legend.Left = f.EarlyTo <= f.EarlyFrom, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(4), vg.Points(4)
	if p.Legend.Top {
		p.Legend.YOffs = -vg.Points(4)
	}
	p.Y.Tick.Marker = axisTicks(f.tickLabel)
	p.X.Tick.Marker = axisTicks(func(v float64) string { return fmt.Sprint(v) })
	return p, nil
}

// tickLabel labels the lift axis: percent, percentage points or the
// metric's unit.
func (f liftFigure) tickLabel(v float64) string {
	switch {
	case f.Scale == 1:
		return plainLabel(v)
	case strings.HasSuffix(f.YLabel, "(pp)"):
		return strings.TrimSuffix(percentLabel(v), "%") + " pp"
	}
	return percentLabel(v)
}

// addMarks draws each mark as a dashed vertical line labelled at its top.
func addMarks(p *plot.Plot, marks []chartMark, ymin, ymax float64) error {
	for _, m := range marks {
		l, err := plotter.NewLine(plotter.XYs{{X: m.X, Y: ymin}, {X: m.X, Y: ymax}})
		if err != nil {
			return fmt.Errorf("chart: %w", err)
		}
		l.Color, l.Dashes, l.Width = markColor, []vg.Length{vg.Points(2), vg.Points(3)}, vg.Points(1)
		labels, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: m.X, Y: ymax}}, Labels: []string{m.Label}})
		if err != nil {
			return fmt.Errorf("chart: %w", err)
		}
		for i := range labels.TextStyle {
			labels.TextStyle[i].Color = markColor
			labels.TextStyle[i].XAlign = draw.XRight
			labels.TextStyle[i].YAlign = draw.YTop
		}
		labels.Offset = vg.Point{X: -vg.Points(3), Y: -vg.Points(3)}
		p.Add(l, labels)
	}
	return nil
}

// LiftChartPNG draws a scorecard's primary metric's cumulative lift day by
// day, with its interval as a band, from the first day the peeking rules
// allow a verdict, with the min days and the planned end marked. The
// interval is the method's: with the sequential method it is valid at
// every look, which is why a daily chart may show it.
func LiftChartPNG(sc workflows.Scorecard) ([]byte, error) {
	f, err := liftChartFigure(sc)
	if err != nil {
		return nil, err
	}
	p, err := f.plot()
	if err != nil {
		return nil, err
	}
	return plotPNG(p, chartWidth, 4*vg.Inch)
}

// plotPNG draws one plot as a PNG of the given size, with a margin.
func plotPNG(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(chartDPI))
	p.Draw(draw.Crop(draw.New(img), vg.Points(6), -vg.Points(12), vg.Points(6), -vg.Points(8)))
	return pngBytes(img)
}

func pngBytes(img *vgimg.Canvas) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	return buf.Bytes(), nil
}

// niceStep rounds a positive length up to 1, 2, 2.5 or 5 times a power of
// ten: a step between axis labels a person reads at a glance.
func niceStep(v float64) float64 {
	if v <= 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 1
	}
	pow := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5} {
		if v <= m*pow*(1+1e-9) {
			return m * pow
		}
	}
	return 10 * pow
}

// axisTicks labels about six round values over an axis, zero included
// when it is in range, each in the axis's unit.
func axisTicks(format func(float64) string) plot.Ticker {
	return plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		step := niceStep((hi - lo) / 7)
		var ts []plot.Tick
		for k := math.Ceil(lo / step); k*step <= hi+step*1e-9; k++ {
			v := k * step
			ts = append(ts, plot.Tick{Value: v, Label: format(v)})
		}
		return ts
	})
}

// percentLabel labels a lift axis: +20%, 0%, -10%.
func percentLabel(v float64) string {
	if v == 0 {
		return "0%"
	}
	return fmt.Sprintf("%+g%%", v)
}

// plainLabel labels an axis in the metric's own unit.
func plainLabel(v float64) string {
	if v == 0 {
		return "0"
	}
	return fmt.Sprintf("%+g", v)
}
