package stats_test

import (
	"math"
	"testing"

	"github.com/growthbot/growthbot/stats"
)

func relErr(got, want float64) float64 { return math.Abs(got-want) / math.Abs(want) }

// The want values are 50-digit evaluations with mpmath (regularized
// incomplete beta, and its root for the quantiles), rounded to 17 digits.
// They straddle the switch to asymptotic expansions at 1000 degrees of
// freedom and reach far into the tails and to dof where gonum's incomplete
// beta path is off by 1e-5.

func TestTSF(t *testing.T) {
	tests := []struct{ nu, x, want float64 }{
		{1, 0.5, 0.35241638234956673},
		{1, 20, 0.015902251256176375},
		{3, 2, 0.069662984279421588},
		{3, 20, 0.00013660162512365586},
		{10, 8, 5.8874713948330799e-6},
		{10, 20, 1.0730311586021259e-9},
		{55.7, 2, 0.025192789426240531},
		{55.7, 20, 2.1436652849227636e-27},
		{999, 0.5, 0.30859259546514471},
		{999, 20, 2.0836922465214989e-75},
		{1000, 0.5, 0.30859254041693741},
		{1000, 2, 0.02288517324662582},
		{1000, 8, 1.7133307411957372e-15},
		{1000, 20, 2.0311442497623857e-75},
		{10000, 8, 6.910604364532691e-16},
		{1e6, 2, 0.022750266925659604},
		{1e6, 20, 2.8665435236951859e-89},
		{1e10, 0.5, 0.30853753873148792},
		{1e10, 2, 0.022750131961676949},
		{1e10, 20, 2.7536351881296546e-89},
	}
	for _, tc := range tests {
		got := stats.TSF(tc.x, tc.nu)
		if e := relErr(got, tc.want); e > 1e-9 {
			t.Errorf("P(T_%g > %g) = %v, want %v (relative error %.2g)", tc.nu, tc.x, got, tc.want, e)
		}
		// Symmetry: the lower tail is the complement.
		if got, want := stats.TSF(-tc.x, tc.nu), 1-tc.want; math.Abs(got-want) > 1e-12 {
			t.Errorf("P(T_%g > %g) = %v, want %v", tc.nu, -tc.x, got, want)
		}
	}
}

func TestTUpperQuantile(t *testing.T) {
	tests := []struct{ nu, q, want float64 }{
		{1, 0.025, 12.706204736174705},
		{1, 0.005, 63.656741162871581},
		{1, 5e-9, 63661977.236758129},
		{3, 0.025, 3.1824463052837096},
		{3, 5e-9, 604.16489581861044},
		{10, 0.025, 2.2281388519862747},
		{10, 5e-9, 17.076428951025196},
		{100, 0.005, 2.6258905214380179},
		{100, 5e-9, 6.2528904324393642},
		{999, 0.025, 1.96234146113345},
		{999, 5e-9, 5.7796172500338732},
		{1000, 0.025, 1.9623390808264085},
		{1000, 0.005, 2.5807546980659511},
		{1000, 5e-9, 5.7795680040037518},
		{1e6, 0.025, 1.959966356814107},
		{1e6, 5e-9, 5.7307773523516517},
	}
	for _, tc := range tests {
		got := stats.TUpperQuantile(tc.q, tc.nu)
		if e := relErr(got, tc.want); e > 1e-10 {
			t.Errorf("upper %g quantile of t_%g = %v, want %v (relative error %.2g)", tc.q, tc.nu, got, tc.want, e)
		}
	}
}

// TestNormalTail checks the tail that 1 - Erf(x) rounds to zero.
func TestNormalTail(t *testing.T) {
	for _, tc := range []struct{ x, want float64 }{
		{10, 7.6198530241605261e-24},
		{30, 4.9067139271481871e-198},
	} {
		if got := stats.NormalSF(tc.x); relErr(got, tc.want) > 1e-12 {
			t.Errorf("1 - Φ(%g) = %v, want %v", tc.x, got, tc.want)
		}
	}
}
