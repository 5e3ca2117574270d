package render

import (
	"fmt"
	"image/color"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/growthbot/growthbot/workflows"
)

// KPI chart size: wide enough for twelve month labels; each panel as tall
// as the two-panel chart's were.
const kpiPanelHeight = 3 * vg.Inch

var (
	kpiChartMRRColor       = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	kpiChartActiveColor    = color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}
	kpiChartRetentionColor = color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}
	kpiChartNPSColor       = color.RGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff}
	kpiTargetColor         = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
)

// kpiTarget is the target of one month: at X (the month's index) the
// value the KPI should reach.
type kpiTarget struct {
	X, Value float64
}

// kpiPanelFigure is one KPI's panel: its values by month, its unit, the
// axis range and the team's target where one is set.
type kpiPanelFigure struct {
	Title  string
	YLabel string
	Unit   workflows.KPIUnit
	Values []workflows.KPIValue // one per month of the figure
	// FromZero: counts and money start their axis at zero, so that a 40 %
	// rise looks like one.
	FromZero   bool
	YMin, YMax float64
	// Targets are drawn as short dashes at each month (MRR's growth
	// target: last month's MRR grown by it) or, when Level is set, as
	// one line across (NPS).
	Targets     []kpiTarget
	Level       bool
	TargetLabel string
	Color       color.Color
}

// kpiFigure is the review's KPI chart: panels over one month axis.
type kpiFigure struct {
	Title  string
	Months []string
	Panels []kpiPanelFigure
}

// moneyLabel names MRR's unit on the axis.
func moneyLabel(currency string) string {
	if currency == "" {
		return "MRR (money)"
	}
	return "MRR (" + currency + ")"
}

// kpiChartFigure decides a review's KPI chart: MRR and active users
// always, retention and NPS when two months have values (or NPS a target).
// Panels rather than one chart, because the KPIs differ by orders of
// magnitude and an index would hide their levels.
func kpiChartFigure(title string, rv workflows.Review) kpiFigure {
	f := kpiFigure{Title: title}
	for _, pt := range rv.Trend {
		f.Months = append(f.Months, pt.Month)
	}
	pick := func(get func(workflows.TrendPoint) workflows.KPIValue) []workflows.KPIValue {
		out := make([]workflows.KPIValue, len(rv.Trend))
		for i, pt := range rv.Trend {
			out[i] = get(pt)
		}
		return out
	}
	// A panel of one point is an empty frame: a line needs two months.
	known := func(vs []workflows.KPIValue) bool {
		n := 0
		for _, v := range vs {
			if v.Known {
				n++
			}
		}
		return n >= 2
	}
	targets := rv.Team.Targets
	mrr := kpiPanelFigure{Title: "MRR", YLabel: moneyLabel(rv.Currency), Unit: workflows.UnitCount, FromZero: true,
		Values: pick(func(p workflows.TrendPoint) workflows.KPIValue { return p.MRR }), Color: kpiChartMRRColor}
	if g := targets.MRRGrowth; g != 0 {
		mrr.TargetLabel = fmt.Sprintf("target: %s on the month before", workflows.FormatLift(g))
		for i := 1; i < len(mrr.Values); i++ {
			if prev := mrr.Values[i-1]; prev.Known && !prev.Partial {
				mrr.Targets = append(mrr.Targets, kpiTarget{X: float64(i), Value: prev.Value * (1 + g)})
			}
		}
	}
	active := kpiPanelFigure{Title: "Active users", YLabel: "active users (count)", Unit: workflows.UnitCount, FromZero: true,
		Values: pick(func(p workflows.TrendPoint) workflows.KPIValue { return p.ActiveUsers }), Color: kpiChartActiveColor}
	f.Panels = append(f.Panels, mrr, active)
	if vs := pick(func(p workflows.TrendPoint) workflows.KPIValue { return p.Retention }); known(vs) {
		f.Panels = append(f.Panels, kpiPanelFigure{Title: "Retention", YLabel: "retention (%)", Unit: workflows.UnitShare,
			Values: vs, Color: kpiChartRetentionColor})
	}
	if vs := pick(func(p workflows.TrendPoint) workflows.KPIValue { return p.NPS }); known(vs) || targets.NPS != 0 {
		nps := kpiPanelFigure{Title: "NPS", YLabel: "NPS (score)", Unit: workflows.UnitScore, Values: vs, Color: kpiChartNPSColor}
		if targets.NPS != 0 {
			nps.Level, nps.TargetLabel = true, fmt.Sprintf("target: NPS %s", trimFloat(targets.NPS, 1))
			nps.Targets = []kpiTarget{{X: -0.5, Value: targets.NPS}, {X: float64(len(vs)) - 0.5, Value: targets.NPS}}
		}
		f.Panels = append(f.Panels, nps)
	}
	for i := range f.Panels {
		f.Panels[i].scale()
	}
	return f
}

// scale sets the panel's value axis: from zero for counts and money, else
// around the values; targets always in view.
func (p *kpiPanelFigure) scale() {
	var vs []float64
	for _, v := range p.Values {
		if v.Known {
			vs = append(vs, v.Value)
		}
	}
	for _, t := range p.Targets {
		vs = append(vs, t.Value)
	}
	if len(vs) == 0 {
		p.YMin, p.YMax = 0, 1
		return
	}
	lo, hi := slices.Min(vs), slices.Max(vs)
	if p.FromZero {
		lo = min(lo, 0)
		p.YMin, p.YMax = lo, hi+(hi-lo)*0.08
		if p.YMax == p.YMin {
			p.YMax = p.YMin + 1
		}
		return
	}
	pad := (hi - lo) * 0.15
	if pad == 0 {
		pad = map[workflows.KPIUnit]float64{workflows.UnitShare: 0.05}[p.Unit]
		if pad == 0 {
			pad = 5
		}
	}
	p.YMin, p.YMax = lo-pad, hi+pad
}

// KPIChart draws a review's KPI trends as a PNG: one panel per KPI on one
// month axis. A month without a value is a gap in the line, never a zero;
// a partial month is a ring.
func KPIChart(title string, rv workflows.Review) ([]byte, error) {
	f := kpiChartFigure(title, rv)
	plots := make([][]*plot.Plot, len(f.Panels))
	for i, panel := range f.Panels {
		ptitle := panel.Title
		if i == 0 {
			ptitle = f.Title + "\n" + panel.Title
		}
		p, err := panel.plot(ptitle, f.Months)
		if err != nil {
			return nil, err
		}
		plots[i] = []*plot.Plot{p}
	}
	img := vgimg.NewWith(vgimg.UseWH(chartWidth, vg.Length(len(plots))*kpiPanelHeight), vgimg.UseDPI(chartDPI))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadTop: vg.Points(8), PadBottom: vg.Points(8), PadLeft: vg.Points(8),
		PadRight: vg.Points(16), PadY: vg.Points(16)}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	return pngBytes(img)
}

// tickLabel labels the panel's value axis in its unit.
func (p kpiPanelFigure) tickLabel(v float64) string {
	if v == 0 && p.Unit == workflows.UnitCount {
		return "0"
	}
	return kpiValue(p.Unit, v)
}

// plot draws one KPI over the months: lines through runs of consecutive
// months with values, filled points for whole months and rings for
// partial ones, and the target.
func (panel kpiPanelFigure) plot(title string, months []string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text, p.Y.Label.Text = title, panel.YLabel
	p.X.Min, p.X.Max = -0.5, float64(len(months))-0.5
	p.Y.Min, p.Y.Max = panel.YMin, panel.YMax
	ticks := make([]plot.Tick, len(months))
	for i, m := range months {
		ticks[i] = plot.Tick{Value: float64(i), Label: shortMonthLabel(m)}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Tick.Marker = axisTicks(panel.tickLabel)
	p.Add(plotter.NewGrid())
	p.Legend.Top, p.Legend.Left = true, true
	if err := panel.addTargets(p); err != nil {
		return nil, err
	}
	var run, whole, partial plotter.XYs
	var lines []plotter.XYs
	for i, v := range panel.Values {
		if !v.Known {
			if len(run) > 0 {
				lines, run = append(lines, run), nil
			}
			continue
		}
		xy := plotter.XY{X: float64(i), Y: v.Value}
		run = append(run, xy)
		if v.Partial {
			partial = append(partial, xy)
		} else {
			whole = append(whole, xy)
		}
	}
	if len(run) > 0 {
		lines = append(lines, run)
	}
	for _, xys := range lines {
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("bot: KPI chart: %w", err)
		}
		l.Color = panel.Color
		p.Add(l)
	}
	for _, set := range []struct {
		xys   plotter.XYs
		shape draw.GlyphDrawer
		label string
	}{{whole, draw.CircleGlyph{}, ""}, {partial, draw.RingGlyph{}, "partial month"}} {
		if len(set.xys) == 0 {
			continue
		}
		s, err := plotter.NewScatter(set.xys)
		if err != nil {
			return nil, fmt.Errorf("bot: KPI chart: %w", err)
		}
		s.Color, s.Shape, s.Radius = panel.Color, set.shape, vg.Points(3)
		p.Add(s)
		if set.label != "" {
			p.Legend.Add(set.label, s)
		}
	}
	if len(whole)+len(partial) == 0 {
		p.Title.Text += " (no data)"
	}
	return p, nil
}

// addTargets draws the panel's targets, dashed, in the target colour.
func (panel kpiPanelFigure) addTargets(p *plot.Plot) error {
	if len(panel.Targets) == 0 {
		return nil
	}
	segments := []plotter.XYs{}
	if panel.Level {
		segments = append(segments, plotter.XYs{{X: panel.Targets[0].X, Y: panel.Targets[0].Value},
			{X: panel.Targets[len(panel.Targets)-1].X, Y: panel.Targets[len(panel.Targets)-1].Value}})
	} else {
		for _, t := range panel.Targets {
			segments = append(segments, plotter.XYs{{X: t.X - 0.35, Y: t.Value}, {X: t.X + 0.35, Y: t.Value}})
		}
	}
	for i, xys := range segments {
		l, err := plotter.NewLine(xys)
		if err != nil {
			return fmt.Errorf("bot: KPI chart: %w", err)
		}
		l.Color, l.Width, l.Dashes = kpiTargetColor, vg.Points(1.5), []vg.Length{vg.Points(3), vg.Points(2)}
		p.Add(l)
		if i == 0 {
			p.Legend.Add(panel.TargetLabel, l)
		}
	}
	return nil
}

func shortMonthLabel(month string) string {
	s := shortMonth(month)
	if len(s) == len("Jan 2006") {
		return s[:3] + "\n" + s[4:]
	}
	return s
}
