package workflows

// Alerts the pulse posts in an experiment's thread. Each is a domain value
// the Slack adapter renders.

// GuardrailAlert says a guardrail got significantly worse; it mentions the
// owner and offers a Kill button.
type GuardrailAlert struct {
	Experiment Experiment
	Result     MetricResult
}

// PayloadKind implements Content.
func (GuardrailAlert) PayloadKind() PayloadKind { return KindGuardrailAlert }

// SRMAlert says the split of units differs from the planned weights.
type SRMAlert struct {
	Experiment Experiment
	Scorecard  Scorecard
}

// PayloadKind implements Content.
func (SRMAlert) PayloadKind() PayloadKind { return KindSRMAlert }

// OverdueReminder reminds the owner that an experiment passed its planned
// end with no decision.
type OverdueReminder struct {
	Experiment     Experiment
	DaysOver       int
	Recommendation Recommendation
}

// PayloadKind implements Content.
func (OverdueReminder) PayloadKind() PayloadKind { return KindOverdueReminder }

// OwnerEscalation tells the team lead an experiment has no owner, or that
// its owner left the team.
type OwnerEscalation struct {
	Experiment Experiment
	Team       Team
}

// PayloadKind implements Content.
func (OwnerEscalation) PayloadKind() PayloadKind { return KindOwnerEscalation }

// LiftChart is the picture of an experiment's primary metric's cumulative
// lift, day by day, with its interval.
type LiftChart struct {
	Scorecard Scorecard
}

// PayloadKind implements Content.
func (LiftChart) PayloadKind() PayloadKind { return KindLiftChart }

// IntervalChart is the picture of every metric of a scorecard, guardrails
// included: its interval as a bar coloured by its verdict.
type IntervalChart struct {
	Scorecard Scorecard
}

// PayloadKind implements Content.
func (IntervalChart) PayloadKind() PayloadKind { return KindIntervalChart }

// SourceDown says the pulse could not read an experiment's data source;
// nothing was posted from it, and the next pulse tries again.
type SourceDown struct {
	Experiment Experiment
	// Problem is the source's error, which names the source and never its
	// DSN.
	Problem string
}

// PayloadKind implements Content.
func (SourceDown) PayloadKind() PayloadKind { return KindSourceDown }
