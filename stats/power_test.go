package stats_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/growthbot/growthbot/stats"
)

// Normal quantiles for the textbook values below (Φ⁻¹ to 16 digits).
const (
	z975 = 1.959963984540054  // z(1 - 0.05/2)
	z995 = 2.5758293035489004 // z(1 - 0.01/2)
	z80  = 0.8416212335729143 // z(0.8)
	z90  = 1.2815515655446004 // z(0.9)
)

func proportionOptions(d stats.Difference, m stats.Method) stats.Options {
	return stats.Options{Metric: stats.MetricProportion, Difference: d, Method: m, Alpha: 0.05}
}

// TestMDETextbook checks the MDE against the two-sided z-test's
// (z(1-α/2) + z(power))·se with se = sqrt(2·p(1-p)/n) computed by hand.
// The exact MDE also counts the (tiny) chance of significance in the wrong
// direction, so it is a hair below the textbook value.
func TestMDETextbook(t *testing.T) {
	control, treatment := proportionArm(10000, 1000), proportionArm(10000, 1000)
	se := math.Sqrt(2 * 0.1 * 0.9 / 10000)
	tests := []struct {
		alpha, power, zSum float64
	}{
		{0.05, 0.8, z975 + z80}, // 2.8016
		{0.01, 0.9, z995 + z90},
		{0.05, 0, z975 + z80}, // zero power means DefaultPower
	}
	for _, tc := range tests {
		for _, d := range []stats.Difference{stats.DifferenceAbsolute, stats.DifferenceRelative} {
			t.Run(fmt.Sprintf("alpha=%g/power=%g/%s", tc.alpha, tc.power, d), func(t *testing.T) {
				o := proportionOptions(d, stats.MethodFixed)
				o.Alpha, o.Power = tc.alpha, tc.power
				mde, err := stats.MDE(control, treatment, o)
				if err != nil {
					t.Fatal(err)
				}
				textbook := tc.zSum * se
				if d == stats.DifferenceRelative {
					textbook /= 0.1
				}
				if mde > textbook || relErr(mde, textbook) > 1e-5 {
					t.Errorf("MDE = %v, want just below %v", mde, textbook)
				}
			})
		}
	}
}

// powerConfigs are arms and options across metric types and methods.
func powerConfigs() []struct {
	name               string
	control, treatment stats.Arm
	o                  stats.Options
} {
	type cfg = struct {
		name               string
		control, treatment stats.Arm
		o                  stats.Options
	}
	var out []cfg
	arms := []struct {
		metric             stats.MetricType
		control, treatment stats.Arm
	}{
		{stats.MetricProportion, proportionArm(4000, 400), proportionArm(4100, 430)},
		{stats.MetricMean, meanArm(3407, 1396.87, 52377.9767), meanArm(3461, 2422.7, 134698.29)},
		{stats.MetricRatio, ratioArm(2301, 3072.5, 13329.8, 2826.9, 8472.2, 5573.0), ratioArm(2407, 3184.1, 13864.5, 2957.2, 8862.6, 5793.0)},
		{stats.MetricCUPED, cupedArm(3092, 7438.0, 174788.2, 6694.2, 171388.5, 81779.2), cupedArm(3021, 6902.2, 169061.2, 6540.5, 167451.9, 79110.5)},
	}
	for _, a := range arms {
		for _, m := range []stats.Method{stats.MethodFixed, stats.MethodSequential, stats.MethodBayesian} {
			for _, d := range []stats.Difference{stats.DifferenceRelative, stats.DifferenceAbsolute} {
				o := stats.Options{Metric: a.metric, Difference: d, Method: m, Alpha: 0.05}
				out = append(out, cfg{fmt.Sprintf("%s/%s/%s", a.metric, m, d), a.control, a.treatment, o})
			}
		}
	}
	return out
}

func TestPowerAtMDEIsTheTarget(t *testing.T) {
	for _, c := range powerConfigs() {
		for _, target := range []float64{0.5, 0.8, 0.95} {
			t.Run(fmt.Sprintf("%s/power=%g", c.name, target), func(t *testing.T) {
				o := c.o
				o.Power = target
				mde, err := stats.MDE(c.control, c.treatment, o)
				if err != nil {
					t.Fatal(err)
				}
				for _, effect := range []float64{mde, -mde} {
					p, err := stats.Power(c.control, c.treatment, effect, o)
					if err != nil {
						t.Fatal(err)
					}
					if math.Abs(p-target) > 1e-9 {
						t.Errorf("Power(%v) = %v, want %v", effect, p, target)
					}
				}
			})
		}
	}
}

// With no effect, power is the false-positive rate: alpha for the fixed
// test, less for the always-valid sequential one.
func TestPowerWithoutEffect(t *testing.T) {
	c, tr := proportionArm(4000, 400), proportionArm(4100, 430)
	p, err := stats.Power(c, tr, 0, proportionOptions(stats.DifferenceRelative, stats.MethodFixed))
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(p-0.05) > 1e-12 {
		t.Errorf("fixed: Power(0) = %v, want 0.05", p)
	}
	p, err = stats.Power(c, tr, 0, proportionOptions(stats.DifferenceRelative, stats.MethodSequential))
	if err != nil {
		t.Fatal(err)
	}
	if p >= 0.05 || p <= 0 {
		t.Errorf("sequential: Power(0) = %v, want in (0, 0.05)", p)
	}
	// Chance to win >= 95% or <= 5% is a one-sided 5% test each way.
	p, err = stats.Power(c, tr, 0, proportionOptions(stats.DifferenceRelative, stats.MethodBayesian))
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(p-0.1) > 1e-12 {
		t.Errorf("bayesian: Power(0) = %v, want 0.1", p)
	}
}

// Power is the probability that Compare's result is Significant: checked
// by simulating experiments with a true difference of one MDE for each
// method. The metric is a mean with the same spread in both arms, which is
// the variance model of the power functions.
func TestPowerMatchesSignificant(t *testing.T) {
	const n, sd, trials = 20000.0, 3.0, 4000
	rng := rand.New(rand.NewPCG(3, 4))
	// draw returns the sufficient statistics of n normal units: the sum is
	// normal and the sum of squared deviations is σ²·χ²(n-1), close to
	// normal at this n.
	draw := func(mean float64) stats.Arm {
		sum := n*mean + math.Sqrt(n)*sd*rng.NormFloat64()
		dev := (n - 1) * sd * sd * (1 + math.Sqrt(2/(n-1))*rng.NormFloat64())
		return meanArm(n, sum, dev+sum*sum/n)
	}
	for _, m := range []stats.Method{stats.MethodFixed, stats.MethodSequential, stats.MethodBayesian} {
		t.Run(string(m), func(t *testing.T) {
			o := stats.Options{Metric: stats.MetricMean, Difference: stats.DifferenceAbsolute, Method: m, Alpha: 0.05}
			mde, err := stats.MDE(draw(10), draw(10), o)
			if err != nil {
				t.Fatal(err)
			}
			hits := 0
			for range trials {
				r, err := stats.Compare(draw(10), draw(10+mde), o)
				if err != nil {
					t.Fatal(err)
				}
				if r.Significant(o) {
					hits++
				}
			}
			share := float64(hits) / trials
			t.Logf("%.4f of experiments at the MDE significant", share)
			// Binomial sd at 4,000 trials is 0.006.
			if math.Abs(share-0.8) > 0.02 {
				t.Errorf("%.4f of experiments at the MDE significant, want about 0.8", share)
			}
		})
	}
}

// With alpha >= 0.5 the Bayesian rule (chance to win >= 1-alpha or
// <= alpha) calls every result significant: power is 1 and no MDE exists.
func TestPowerBayesianLargeAlpha(t *testing.T) {
	o := proportionOptions(stats.DifferenceRelative, stats.MethodBayesian)
	o.Alpha = 0.6
	c, tr := proportionArm(4000, 400), proportionArm(4100, 430)
	for _, effect := range []float64{0, 0.01, 1} {
		p, err := stats.Power(c, tr, effect, o)
		if err != nil {
			t.Fatal(err)
		}
		if p != 1 {
			t.Errorf("Power(%v) = %v, want 1", effect, p)
		}
		r, err := stats.Compare(c, tr, o)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Significant(o) {
			t.Errorf("result %+v not significant", r)
		}
	}
	_, err := stats.MDE(c, tr, o)
	expectError(t, err, stats.ErrInvalid, "is not above the false-positive rate 1")
}

// TestDaysToMDETextbook: 1,000 units per arm at a 10% conversion rate,
// 1,000 more per arm each day, target an absolute difference of one point.
// The textbook sample size is n = (z(1-α/2) + z(power))²·2p(1-p)/δ² per arm.
func TestDaysToMDETextbook(t *testing.T) {
	n := math.Pow(z975+z80, 2) * 2 * 0.1 * 0.9 / (0.01 * 0.01) // 14,128 per arm
	want := (n - 1000) / 1000
	days, err := stats.DaysToMDE(proportionArm(1000, 100), proportionArm(1000, 100), 2000, 0.01,
		proportionOptions(stats.DifferenceAbsolute, stats.MethodFixed))
	if err != nil {
		t.Fatal(err)
	}
	if relErr(days, want) > 1e-5 {
		t.Errorf("days = %v, want %v", days, want)
	}
}

// TestDaysToMDEReachesTarget grows the arms by the returned number of days
// and checks that the MDE is then the target.
func TestDaysToMDEReachesTarget(t *testing.T) {
	control, treatment := proportionArm(3000, 300), proportionArm(2000, 220)
	const perDay = 1500.0
	for _, m := range []stats.Method{stats.MethodFixed, stats.MethodSequential} {
		for _, target := range []float64{0.2, 0.1, 0.05} {
			t.Run(fmt.Sprintf("%s/mde=%g", m, target), func(t *testing.T) {
				o := proportionOptions(stats.DifferenceRelative, m)
				days, err := stats.DaysToMDE(control, treatment, perDay, target, o)
				if err != nil {
					t.Fatal(err)
				}
				if days <= 0 {
					t.Fatalf("days = %v, want more than 0", days)
				}
				// Units arrive in the current split; a proportion keeps its rate.
				grow := 1 + perDay*days/(control.N+treatment.N)
				c := proportionArm(control.N*grow, control.Sum*grow)
				tr := proportionArm(treatment.N*grow, treatment.Sum*grow)
				mde, err := stats.MDE(c, tr, o)
				if err != nil {
					t.Fatal(err)
				}
				if relErr(mde, target) > 1e-6 {
					t.Errorf("after %v days MDE = %v, want %v", days, mde, target)
				}
			})
		}
	}
}

func TestDaysToMDEMonotone(t *testing.T) {
	control, treatment := proportionArm(3000, 300), proportionArm(2000, 220)
	days := func(m stats.Method, perDay, target float64) float64 {
		t.Helper()
		d, err := stats.DaysToMDE(control, treatment, perDay, target, proportionOptions(stats.DifferenceRelative, m))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, m := range []stats.Method{stats.MethodFixed, stats.MethodSequential} {
		prev := -1.0
		for _, target := range []float64{0.5, 0.3, 0.2, 0.1, 0.05, 0.02} {
			d := days(m, 1000, target)
			if d < prev || (prev > 0 && d == prev) {
				t.Errorf("%s: %v days for MDE %v, not more than %v for a larger MDE", m, d, target, prev)
			}
			prev = d
		}
		if slow, fast := days(m, 500, 0.05), days(m, 2000, 0.05); !(slow > fast) {
			t.Errorf("%s: %v days at 500 units a day, %v at 2000", m, slow, fast)
		}
	}
	for _, target := range []float64{0.2, 0.1, 0.05, 0.02} {
		if f, s := days(stats.MethodFixed, 1000, target), days(stats.MethodSequential, 1000, target); !(s > f) {
			t.Errorf("MDE %v: sequential needs %v days, fixed %v; want sequential more", target, s, f)
		}
	}
	// A target the experiment already reaches needs no more days.
	mde, err := stats.MDE(control, treatment, proportionOptions(stats.DifferenceRelative, stats.MethodFixed))
	if err != nil {
		t.Fatal(err)
	}
	if d := days(stats.MethodFixed, 1000, mde*1.01); d != 0 {
		t.Errorf("%v days to an MDE already reached", d)
	}
}
