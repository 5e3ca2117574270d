package bot

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/growthbot/growthbot/workflows"
)

// KPI chart size: wide enough for twelve month labels, at Slack's usual
// preview resolution.
const (
	kpiChartWidth  = 8 * vg.Inch
	kpiChartHeight = 6 * vg.Inch
	kpiChartDPI    = 96
)

var (
	kpiChartMRRColor    = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	kpiChartActiveColor = color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}
)

// KPIChart draws a review's KPI trends as a PNG: MRR above, active users
// below, on one month axis. Two panels rather than one, because the two
// differ by orders of magnitude and an index would hide their levels. A
// month without a value is a gap in the line, never a zero; a partial
// month is a ring.
func KPIChart(title string, trend []workflows.TrendPoint) ([]byte, error) {
	mrr, err := kpiPanel(title+"\nMRR", trend, kpiChartMRRColor, func(p workflows.TrendPoint) workflows.KPIValue { return p.MRR })
	if err != nil {
		return nil, err
	}
	active, err := kpiPanel("Active users", trend, kpiChartActiveColor, func(p workflows.TrendPoint) workflows.KPIValue { return p.ActiveUsers })
	if err != nil {
		return nil, err
	}
	img := vgimg.NewWith(vgimg.UseWH(kpiChartWidth, kpiChartHeight), vgimg.UseDPI(kpiChartDPI))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Points(8), PadBottom: vg.Points(8), PadLeft: vg.Points(8),
		PadRight: vg.Points(16), PadY: vg.Points(16)}
	canvases := plot.Align([][]*plot.Plot{{mrr}, {active}}, tiles, dc)
	mrr.Draw(canvases[0][0])
	active.Draw(canvases[1][0])
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("bot: KPI chart: %w", err)
	}
	return buf.Bytes(), nil
}

// kpiPanel plots one KPI over the trend's months: lines through runs of
// consecutive months with values, filled points for whole months and rings
// for partial ones.
func kpiPanel(title string, trend []workflows.TrendPoint, c color.Color, pick func(workflows.TrendPoint) workflows.KPIValue) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Min, p.X.Max = -0.5, float64(len(trend))-0.5
	ticks := make([]plot.Tick, len(trend))
	for i, pt := range trend {
		ticks[i] = plot.Tick{Value: float64(i), Label: shortMonthLabel(pt.Month)}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Tick.Marker = plot.TickerFunc(func(min, max float64) []plot.Tick {
		ts := plot.DefaultTicks{}.Ticks(min, max)
		for i := range ts {
			if ts[i].Label != "" {
				ts[i].Label = kpiValue(workflows.UnitCount, ts[i].Value)
			}
		}
		return ts
	})
	p.Add(plotter.NewGrid())
	var run, whole, partial plotter.XYs
	lines := []plotter.XYs{}
	for i, pt := range trend {
		v := pick(pt)
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
		l.Color = c
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
		s.Color, s.Shape, s.Radius = c, set.shape, vg.Points(3)
		p.Add(s)
		if set.label != "" {
			p.Legend.Add(set.label, s)
			p.Legend.Top, p.Legend.Left = true, true
		}
	}
	if len(whole)+len(partial) == 0 {
		p.Title.Text += " (no data)"
		p.Y.Min, p.Y.Max = 0, 1
		p.Y.Tick.Marker = plot.ConstantTicks(nil)
	}
	return p, nil
}

func shortMonthLabel(month string) string {
	s := shortMonth(month)
	if len(s) == len("Jan 2006") {
		return s[:3] + "\n" + s[4:]
	}
	return s
}
