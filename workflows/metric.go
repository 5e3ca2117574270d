package workflows

// MetricType says how a metric is computed per unit and compared.
type MetricType string

// Metric types.
const (
	MetricMean       MetricType = "mean"       // per-unit count or sum of an event's values
	MetricProportion MetricType = "proportion" // share of units with at least one event
	MetricRatio      MetricType = "ratio"      // sum of one metric over the sum of another
)

// Metric value kinds for mean metrics.
const (
	ValueCount = "count" // number of events per unit
	ValueSum   = "sum"   // sum of the events' values per unit
)

// Metric is something a team wants to move, or must not break.
type Metric struct {
	Key  string
	Name string
	Type MetricType
	// Event is the event counted or summed (mean, proportion).
	Event string
	// Value is ValueCount or ValueSum (mean metrics).
	Value string
	// Numerator and Denominator are metric keys (ratio metrics).
	Numerator   string
	Denominator string
	// HigherIsBetter is false for metrics such as errors or latency.
	HigherIsBetter bool
	// Winsorize caps per-unit values at this percentile (0.999); 0 means off.
	Winsorize float64
	Tags      []string
}

// Good reports whether a change in the given direction is good news for this
// metric: lift > 0 is good when higher is better.
func (m Metric) Good(lift float64) bool {
	if m.HigherIsBetter {
		return lift > 0
	}
	return lift < 0
}
