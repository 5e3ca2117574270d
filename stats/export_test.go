package stats

// Internals exported to the black-box tests: the distribution functions
// are where numerical accuracy is won or lost, so they are checked
// directly against high-precision values.
var (
	TSF            = tSF
	TUpperQuantile = tUpperQuantile
	NormalSF       = normalSF
)
