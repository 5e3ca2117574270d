package render

import (
	"bytes"
	"flag"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"

	"github.com/growthbot/growthbot/stats"
	"github.com/growthbot/growthbot/workflows"
)

var chartsOut = flag.String("charts", "", "also write the charts the tests draw to this folder, to look at them")

// checkPNG decodes a chart and checks its size in pixels; with -charts it
// keeps a copy under name.
func checkPNG(t *testing.T, b []byte, name string, width, height int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", name, err)
	}
	if got := img.Bounds().Size(); got.X != width || got.Y != height {
		t.Errorf("%s is %dx%d pixels, want %dx%d", name, got.X, got.Y, width, height)
	}
	if *chartsOut != "" {
		if err := os.WriteFile(filepath.Join(*chartsOut, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func chartExperiment() workflows.Experiment {
	return workflows.Experiment{Key: "one-click", Name: "One-click checkout", MinDays: 7, PlannedDays: 21, Alpha: 0.05,
		Variants:       []workflows.Variant{{Key: "control", Weight: 1}, {Key: "treatment", Weight: 1}},
		PrimaryMetrics: []string{"purchase"}, GuardrailMetrics: []string{"errors", "latency"}, SecondaryMetrics: []string{"revenue", "aov"}}
}

var (
	purchase = workflows.Metric{Key: "purchase", Name: "Purchase conversion", Type: workflows.MetricProportion, HigherIsBetter: true}
	errs     = workflows.Metric{Key: "errors", Name: "Checkout errors", Type: workflows.MetricMean}
	latency  = workflows.Metric{Key: "latency", Name: "Page load time", Type: workflows.MetricMean}
	revenue  = workflows.Metric{Key: "revenue", Name: "Revenue per user", Type: workflows.MetricMean, HigherIsBetter: true}
	aov      = workflows.Metric{Key: "aov", Name: "Average order value", Type: workflows.MetricRatio, HigherIsBetter: true}
)

// liftSeries is 18 days of lift: wild noise on the first days (the first
// at -100 %), settling at about +5 %, judged from day judgedFrom (0: the
// series predates the mark).
func liftSeries(judgedFrom int) []workflows.LiftPoint {
	var out []workflows.LiftPoint
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for d := 1; d <= 18; d++ {
		lift, half := 0.05+0.3/float64(d), 0.6/float64(d)
		if d == 1 {
			lift, half = -1, 1.2
		}
		out = append(out, workflows.LiftPoint{Day: d, End: start.AddDate(0, 0, d), Lift: lift, Low: lift - half, High: lift + half,
			Judged: judgedFrom > 0 && d >= judgedFrom})
	}
	return out
}

func TestLiftChartFigure(t *testing.T) {
	sc := workflows.Scorecard{Experiment: chartExperiment(), Day: 18,
		Results: []workflows.MetricResult{{Metric: purchase, Role: workflows.RolePrimary, Variant: "treatment"}}}
	for _, tc := range []struct {
		name       string
		judgedFrom int
		firstDay   int
	}{
		{"judged from the min days", 7, 7},
		{"the sample reached later", 9, 9},
		{"a scorecard stored before days were judged", 0, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc.Lift = liftSeries(tc.judgedFrom)
			f, err := liftChartFigure(sc)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(f.Title, "Purchase conversion") || f.YLabel != "cumulative lift in Purchase conversion (%)" {
				t.Errorf("the chart does not name its metric: title %q, y axis %q", f.Title, f.YLabel)
			}
			if f.Points[0].Day != tc.firstDay || f.Points[len(f.Points)-1].Day != 18 {
				t.Errorf("the line runs from day %d to %d, want %d to 18", f.Points[0].Day, f.Points[len(f.Points)-1].Day, tc.firstDay)
			}
			// Day 1's -100 % (and its interval to -220 %) no longer sets the
			// axis: the first day drawn reaches -4 % .. +14 % at the widest.
			lo, hi := (0.05+0.3/float64(tc.firstDay)-0.6/float64(tc.firstDay))*100, (0.05+0.9/float64(tc.firstDay))*100
			if f.YMin > min(lo, 0) || f.YMin < min(lo, 0)-0.1*(hi-lo)-1 || f.YMax < hi || f.YMax > hi+0.1*(hi-lo)+1 {
				t.Errorf("y axis %.1f..%.1f, want just around %.1f..%.1f", f.YMin, f.YMax, min(lo, 0), hi)
			}
			wantMarks := []chartMark{{7, "min days (7)"}, {21, "planned end (day 21)"}}
			if !slices.Equal(f.Marks, wantMarks) {
				t.Errorf("marks %v, want %v", f.Marks, wantMarks)
			}
			if f.XMin != 0.5 || f.XMax != 21.5 || f.EarlyFrom != 0.5 || f.EarlyTo != float64(tc.firstDay) {
				t.Errorf("x axis %v..%v, too early %v..%v; want 0.5..21.5 (to the planned end), too early until day %d",
					f.XMin, f.XMax, f.EarlyFrom, f.EarlyTo, tc.firstDay)
			}
			p, err := f.plot()
			if err != nil {
				t.Fatal(err)
			}
			var labels []string
			for _, tick := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
				labels = append(labels, tick.Label)
			}
			if !slices.Contains(labels, "0%") || !slices.ContainsFunc(labels, func(l string) bool { return strings.HasPrefix(l, "+") && strings.HasSuffix(l, "%") }) {
				t.Errorf("y ticks %q: want percent labels, 0%% among them", labels)
			}
			png, err := LiftChartPNG(sc)
			if err != nil {
				t.Fatal(err)
			}
			checkPNG(t, png, "lift-"+strings.ReplaceAll(tc.name, " ", "-")+".png", 768, 384)
		})
	}
}

func TestLiftChartWaitsForAVerdict(t *testing.T) {
	sc := workflows.Scorecard{Experiment: chartExperiment(), Day: 7, Lift: liftSeries(7)[:7]}
	if _, err := LiftChartPNG(sc); err == nil {
		t.Error("a chart with one day judged: want an error, a line needs two")
	}
	sc.Lift = liftSeries(7)[:8]
	if got := len(sc.VerdictLift()); got != 2 {
		t.Errorf("%d days to draw, want 2 (days 7 and 8)", got)
	}
}

// An early day judged on an absolute difference (small counts) is left
// out of a relative line; an absolute series is drawn in percentage points.
func TestLiftChartKeepsOneKindOfDifference(t *testing.T) {
	sc := workflows.Scorecard{Experiment: chartExperiment(), Day: 18, Lift: liftSeries(7),
		Results: []workflows.MetricResult{{Metric: purchase, Role: workflows.RolePrimary, Variant: "treatment"}}}
	sc.Lift[7].Absolute = true
	f, err := liftChartFigure(sc)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(f.Points, func(p workflows.LiftPoint) bool { return p.Absolute }) || len(f.Points) != 11 {
		t.Errorf("%d points, an absolute one among them; want the 11 relative ones", len(f.Points))
	}
	for i := range sc.Lift {
		sc.Lift[i].Absolute = true
	}
	if f, err = liftChartFigure(sc); err != nil || f.YLabel != "difference in Purchase conversion (pp)" || f.tickLabel(2) != "+2 pp" {
		t.Errorf("absolute series: y axis %q, tick %q, %v", f.YLabel, f.tickLabel(2), err)
	}
}

func TestIntervalChartFigure(t *testing.T) {
	sc := workflows.Scorecard{Experiment: chartExperiment(), Day: 18, Results: []workflows.MetricResult{
		{Metric: purchase, Role: workflows.RolePrimary, Variant: "treatment", Lift: 0.06, Low: 0.01, High: 0.11, Verdict: workflows.VerdictGood},
		{Metric: errs, Role: workflows.RoleGuardrail, Variant: "treatment", Lift: 0.3, Low: 0.1, High: 0.5, Verdict: workflows.VerdictBad},
		{Metric: latency, Role: workflows.RoleGuardrail, Variant: "treatment", Problem: "no latency events yet."},
		{Metric: revenue, Role: workflows.RoleSecondary, Variant: "treatment", Lift: 0.02, Low: -0.04, High: 0.08, Verdict: workflows.VerdictFlat},
		{Metric: aov, Role: workflows.RoleSecondary, Variant: "treatment", Lift: 0.5, Low: -0.25, High: 1.25, Verdict: workflows.VerdictPending,
			Difference: stats.DifferenceAbsolute},
	}}
	f, err := intervalChartFigure(sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Panels) != 2 || !f.Panels[0].Relative || f.Panels[1].Relative {
		t.Fatalf("%d panels, want the relative lifts above and the absolute difference below", len(f.Panels))
	}
	type row struct{ label, class, text string }
	var got []row
	for _, p := range f.Panels {
		for _, r := range p.Rows {
			got = append(got, row{r.Label, r.Class, r.Text})
		}
	}
	want := []row{
		{"Purchase conversion (primary)", classBetter, "+6.0% [+1.0%, +11.0%] · better"},
		{"Checkout errors (guardrail)", classWorse, "+30.0% [+10.0%, +50.0%] · worse"},
		{"Page load time (guardrail)", classNoData, "no data: no latency events yet"},
		{"Revenue per user (secondary)", classInconclusive, "+2.0% [-4.0%, +8.0%] · inconclusive"},
		{"Average order value (secondary)", classInconclusive, "+0.5 [-0.25, +1.25] · inconclusive"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows\n%v\nwant\n%v", got, want)
	}
	rel := f.Panels[0]
	if rel.XMin > -4 || rel.XMin < -9 || rel.XMax < 50 || rel.XMax > 55 || rel.Rows[1].Low != 10 || rel.Rows[1].High != 50 {
		t.Errorf("relative axis %v..%v, guardrail bar %v..%v; want about -8..54 and 10..50", rel.XMin, rel.XMax, rel.Rows[1].Low, rel.Rows[1].High)
	}
	if verdictColors[classBetter] == verdictColors[classWorse] || verdictColors[classWorse] == verdictColors[classInconclusive] {
		t.Error("verdicts share a colour")
	}
	png, err := IntervalChartPNG(sc)
	if err != nil {
		t.Fatal(err)
	}
	// 8 in wide; per panel 1.1 in and 0.6 in per row, at 96 dpi.
	checkPNG(t, png, "intervals.png", 768, 499) // 5.2 in

	if _, err := IntervalChartPNG(workflows.Scorecard{Experiment: chartExperiment(), Results: sc.Results[2:3]}); err == nil {
		t.Error("a scorecard without any interval: want an error")
	}
}

func TestKPIChartFigure(t *testing.T) {
	months := []string{"2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05"}
	rv := workflows.Review{Team: workflows.Team{Key: "checkout", Name: "Checkout", Targets: workflows.Targets{MRRGrowth: 0.05, NPS: 40}},
		Currency: "EUR"}
	for i, m := range months {
		v := func(x float64) workflows.KPIValue { return workflows.KPIValue{Month: m, Value: x, Known: true} }
		pt := workflows.TrendPoint{Month: m, MRR: v(100000 * (1 + 0.08*float64(i))), ActiveUsers: v(5000 + 400*float64(i)),
			Retention: v(0.6 + 0.01*float64(i))}
		if i == 2 {
			pt.MRR = workflows.KPIValue{Month: m} // a gap
		}
		if i == 5 {
			pt.ActiveUsers.Partial = true
		}
		rv.Trend = append(rv.Trend, pt)
	}
	f := kpiChartFigure("KPI trends of Checkout", rv)
	var titles []string
	for _, p := range f.Panels {
		titles = append(titles, p.Title+" | "+p.YLabel)
	}
	// NPS has no value but a target: its panel shows the target.
	want := []string{"MRR | MRR (EUR)", "Active users | active users (count)", "Retention | retention (%)", "NPS | NPS (score)"}
	if !slices.Equal(titles, want) {
		t.Fatalf("panels %q, want %q", titles, want)
	}
	mrr, active, retention, nps := f.Panels[0], f.Panels[1], f.Panels[2], f.Panels[3]
	if mrr.YMin != 0 || active.YMin != 0 || mrr.YMax < 140000 || active.YMax < 7000 {
		t.Errorf("counts and money from zero: MRR %v..%v, active users %v..%v", mrr.YMin, mrr.YMax, active.YMin, active.YMax)
	}
	if retention.YMin < 0.5 || retention.YMax > 0.7 || retention.tickLabel(0.62) != "62%" {
		t.Errorf("retention %v..%v, tick %q: want around its values, in percent", retention.YMin, retention.YMax, retention.tickLabel(0.62))
	}
	// MRR's target is last month's MRR grown 5 %: none after the gap
	// (March), none for the first month.
	wantTargets := []kpiTarget{{1, 105000}, {2, 113400}, {4, 130200}, {5, 138600}}
	if len(mrr.Targets) != len(wantTargets) || mrr.TargetLabel != "target: +5.0% on the month before" {
		t.Fatalf("MRR targets %v %q, want %v", mrr.Targets, mrr.TargetLabel, wantTargets)
	}
	for i, tg := range mrr.Targets {
		if tg.X != wantTargets[i].X || math.Abs(tg.Value-wantTargets[i].Value) > 1e-6 {
			t.Errorf("MRR target %d = %v, want %v", i, tg, wantTargets[i])
		}
	}
	if !nps.Level || nps.TargetLabel != "target: NPS 40" || nps.YMin > 40 || nps.YMax < 40 {
		t.Errorf("NPS target: level %v, %q, axis %v..%v", nps.Level, nps.TargetLabel, nps.YMin, nps.YMax)
	}
	p, err := mrr.plot("MRR", months)
	if err != nil {
		t.Fatal(err)
	}
	ticks := p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max)
	if ticks[0].Value != 0 || ticks[0].Label != "0" || !slices.ContainsFunc(ticks, func(t plot.Tick) bool { return t.Label == "100,000" }) {
		t.Errorf("MRR ticks %v: want 0 and 100,000 among them", ticks)
	}
	png, err := KPIChart("KPI trends of Checkout, Dec 2025 to May 2026", rv)
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, png, "kpi.png", 768, 4*288)

	// Without a currency, targets, retention or NPS: two panels, money
	// named as such.
	rv.Currency, rv.Team.Targets = "", workflows.Targets{}
	for i := range rv.Trend {
		rv.Trend[i].Retention = workflows.KPIValue{}
	}
	f = kpiChartFigure("t", rv)
	if len(f.Panels) != 2 || f.Panels[0].YLabel != "MRR (money)" || len(f.Panels[0].Targets) != 0 {
		t.Errorf("plain review: %d panels, %q, targets %v", len(f.Panels), f.Panels[0].YLabel, f.Panels[0].Targets)
	}
}
