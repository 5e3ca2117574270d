package workflows

import (
	"time"

	"github.com/growthbot/growthbot/stats"
)

// ScorecardJSON is a scorecard as `growthbot scorecard KEY --json` prints
// it. The JSON names are a contract (fields may be added, never renamed):
// every field is always present, and a number that does not apply is
// null.
type ScorecardJSON struct {
	Experiment string           `json:"experiment"`
	AsOf       string           `json:"as_of"` // RFC 3339
	State      State            `json:"state"`
	Method     Method           `json:"method"`
	Units      map[string]int64 `json:"units"`
	SRMP       float64          `json:"srm_p"`
	// Guardrails is healthy, regressing, failing or unknown;
	// GuardrailReason says why when unknown.
	Guardrails      GuardrailStatus    `json:"guardrails"`
	GuardrailReason *string            `json:"guardrail_reason"`
	Recommendation  RecommendationJSON `json:"recommendation"`
	Progress        ProgressJSON       `json:"progress"`
	// VerdictRule is the rule results are judged by, daily looks included.
	VerdictRule string `json:"verdict_rule"`
	// Mature is false before min_days, below the minimum sample, or for a
	// fixed-horizon test before its planned end (MatureReason says which).
	Mature       bool         `json:"mature"`
	MatureReason *string      `json:"mature_reason"`
	Results      []ResultJSON `json:"results"`
}

// RecommendationJSON is the framework's advice; for a shipped or killed
// experiment, its decision (Decided).
type RecommendationJSON struct {
	Action  Recommend `json:"action"`
	Variant *string   `json:"variant"`
	Reason  string    `json:"reason"`
	Decided bool      `json:"decided"`
}

// ProgressJSON is the progress of the primary metric's first comparison.
type ProgressJSON struct {
	// DaysToTarget is the days still needed to detect the target lift (0
	// once reached); null when it cannot be computed.
	DaysToTarget *float64 `json:"days_to_target"`
	SampleShare  *float64 `json:"sample_share"`
	// DetectableNow is the smallest lift the test detects now (power 0.8).
	DetectableNow *float64 `json:"detectable_now"`
	OutOfReach    bool     `json:"out_of_reach"`
	DaysOverdue   int      `json:"days_overdue"`
	Note          *string  `json:"note"`
}

// ResultJSON is one metric compared for one treatment.
type ResultJSON struct {
	Metric        string   `json:"metric"`
	Role          Role     `json:"role"`
	Variant       string   `json:"variant"`
	ControlMean   *float64 `json:"control_mean"`
	TreatmentMean *float64 `json:"treatment_mean"`
	// Difference is relative or absolute: the unit of lift and its
	// interval.
	Difference  *stats.Difference `json:"difference"`
	Lift        *float64          `json:"lift"`
	CILow       *float64          `json:"ci_low"`
	CIHigh      *float64          `json:"ci_high"`
	PValue      *float64          `json:"p_value"`
	ChanceToWin *float64          `json:"chance_to_win"`
	// Significant and Direction are the verdict under the peeking rules:
	// nothing is significant before the scorecard is mature.
	Significant bool    `json:"significant"`
	Direction   string  `json:"direction"` // better, worse or none
	CUPED       bool    `json:"cuped"`
	Test        *string `json:"test"`
	Problem     *string `json:"problem"`
}

// JSON returns the scorecard's machine-readable form.
func (sc Scorecard) JSON() ScorecardJSON {
	e := sc.Experiment
	out := ScorecardJSON{
		Experiment: e.Key, AsOf: sc.AsOf.UTC().Format(time.RFC3339), State: e.State, Method: sc.Method,
		Units: map[string]int64{}, SRMP: sc.SRMPValue, Guardrails: sc.Guardrails, GuardrailReason: text(sc.GuardrailReason),
		VerdictRule: sc.VerdictRule, Mature: sc.Mature, MatureReason: text(sc.MatureReason), Results: []ResultJSON{},
		Recommendation: RecommendationJSON{Action: sc.Recommendation.Action, Variant: text(sc.Recommendation.Variant),
			Reason: sc.Recommendation.Reason, Decided: sc.Decided},
		Progress: ProgressJSON{OutOfReach: sc.OutOfReach, DaysOverdue: sc.DaysOverdue, Note: text(sc.ProgressNote)},
	}
	for _, v := range e.Variants {
		out.Units[v.Key] = sc.Units[v.Key]
	}
	if sc.DaysToMDE >= 0 {
		out.Progress.DaysToTarget, out.Progress.SampleShare = number(sc.DaysToMDE), number(sc.SampleShare)
	}
	if sc.MDE > 0 {
		out.Progress.DetectableNow = number(sc.MDE)
	}
	for _, r := range sc.Results {
		j := ResultJSON{Metric: r.Metric.Key, Role: r.Role, Variant: r.Variant, CUPED: r.CUPED, Problem: text(r.Problem),
			Direction: "none", Significant: r.Verdict == VerdictGood || r.Verdict == VerdictBad}
		switch r.Verdict {
		case VerdictGood:
			j.Direction = "better"
		case VerdictBad:
			j.Direction = "worse"
		}
		if r.ControlUnits > 0 {
			j.ControlMean = number(r.ControlMean)
		}
		if r.TreatmentUnits > 0 {
			j.TreatmentMean = number(r.TreatmentMean)
		}
		if r.Problem == "" {
			d := r.Difference
			if d == "" {
				d = stats.DifferenceRelative
			}
			j.Difference, j.Test = &d, text(r.Test)
			j.Lift, j.CILow, j.CIHigh = number(r.Lift), number(r.Low), number(r.High)
			if sc.Method == MethodBayesian {
				j.ChanceToWin = number(r.ChanceToWin)
			} else {
				j.PValue = number(r.PValue)
			}
		}
		out.Results = append(out.Results, j)
	}
	return out
}

func number(x float64) *float64 { return &x }

func text(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
