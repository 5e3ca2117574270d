package stats_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/growthbot/growthbot/stats"
)

var sinkResult stats.Result

// BenchmarkCompare is one comparison of a mean metric, relative
// difference, per method.
func BenchmarkCompare(b *testing.B) {
	control, treatment := meanArm(3407, 1396.87, 52377.9767), meanArm(3461, 2422.7, 134698.29)
	for _, m := range []stats.Method{stats.MethodFixed, stats.MethodSequential, stats.MethodBayesian} {
		b.Run(string(m), func(b *testing.B) {
			o := stats.Options{Metric: stats.MetricMean, Difference: stats.DifferenceRelative, Method: m, Alpha: 0.05}
			b.ReportAllocs()
			for b.Loop() {
				r, err := stats.Compare(control, treatment, o)
				if err != nil {
					b.Fatal(err)
				}
				sinkResult = r
			}
		})
	}
}

func BenchmarkCompareCUPED(b *testing.B) {
	control := cupedArm(3092, 7438.04, 174788.17, 6694.24, 171388.54, 81779.21)
	treatment := cupedArm(3021, 6902.18, 169061.16, 6540.52, 167451.87, 79110.49)
	o := stats.Options{Metric: stats.MetricCUPED, Difference: stats.DifferenceRelative, Method: stats.MethodFixed, Alpha: 0.05}
	b.ReportAllocs()
	for b.Loop() {
		r, err := stats.Compare(control, treatment, o)
		if err != nil {
			b.Fatal(err)
		}
		sinkResult = r
	}
}

// BenchmarkScorecard computes 1,000 experiments × 20 metrics, 20,000
// comparisons an op, across metric types and methods, with arms from 100
// to a million units (log-uniform), so that small experiments, whose t
// quantile takes the slower exact path, are represented.
func BenchmarkScorecard(b *testing.B) {
	type comparison struct {
		control, treatment stats.Arm
		o                  stats.Options
	}
	rng := rand.New(rand.NewPCG(1, 1))
	metrics := []stats.MetricType{stats.MetricMean, stats.MetricProportion, stats.MetricRatio, stats.MetricCUPED}
	methods := []stats.Method{stats.MethodFixed, stats.MethodSequential, stats.MethodBayesian}
	var work []comparison
	for e := range 1000 {
		n := math.Round(math.Pow(10, 2+4*rng.Float64()))
		method := methods[e%len(methods)]
		for k := range 20 {
			metric := metrics[k%len(metrics)]
			o := stats.Options{Metric: metric, Difference: stats.DifferenceRelative, Method: method, Alpha: 0.05}
			work = append(work, comparison{simulatedArm(rng, metric, n, 0), simulatedArm(rng, metric, n, 0.02), o})
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, c := range work {
			r, err := stats.Compare(c.control, c.treatment, c.o)
			if err != nil {
				b.Fatal(err)
			}
			sinkResult = r
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(work)), "ns/comparison")
}

// simulatedArm returns sufficient statistics of n units with roughly the
// moments real metrics have, drawn in O(1): sums from their normal
// approximations rather than unit by unit.
func simulatedArm(rng *rand.Rand, metric stats.MetricType, n, lift float64) stats.Arm {
	sum := func(mean, sd float64) (s, ss float64) {
		s = n*mean + math.Sqrt(n)*sd*rng.NormFloat64()
		ss = s*s/n + (n-1)*sd*sd*(1+0.05*rng.NormFloat64())
		return s, ss
	}
	switch metric {
	case stats.MetricProportion:
		p := 0.1 * (1 + lift)
		return stats.Arm{N: n, Sum: math.Round(n*p + math.Sqrt(n*p*(1-p))*rng.NormFloat64())}
	case stats.MetricRatio:
		ns, nss := sum(2*(1+lift), 3)
		ds, dss := sum(1.5, 1)
		return stats.Arm{N: n, Numerator: stats.Moments{Sum: ns, SumSquares: nss},
			Denominator: stats.Moments{Sum: ds, SumSquares: dss}, SumProducts: ns*ds/n + 0.5*(n-1)*3*1}
	case stats.MetricCUPED:
		ps, pss := sum(5*(1+lift), 4)
		qs, qss := sum(5, 4)
		return stats.Arm{N: n, Post: stats.Moments{Sum: ps, SumSquares: pss},
			Pre: stats.Moments{Sum: qs, SumSquares: qss}, SumProducts: ps*qs/n + 0.7*(n-1)*16}
	}
	s, ss := sum(10*(1+lift), 6)
	return stats.Arm{N: n, Sum: s, SumSquares: ss}
}
