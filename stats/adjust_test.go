package stats_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/growthbot/growthbot/stats"
)

// TestAdjustProperties checks, on random p-value lists with ties, what
// holds for any input: order preserved, adjusted >= raw, capped at 1,
// ordered like the raw values, equal for equal raw values, and Holm (which
// controls the family-wise error) never below Benjamini-Hochberg (which
// controls the false discovery rate).
func TestAdjustProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 500 {
		m := 1 + rng.IntN(30)
		ps := make([]float64, m)
		for i := range ps {
			ps[i] = rng.Float64() * rng.Float64() // skewed towards 0
			if i > 0 && rng.IntN(5) == 0 {
				ps[i] = ps[rng.IntN(i)] // a tie
			}
		}
		raw := slices.Clone(ps)
		holm, err := stats.Adjust(stats.AdjustHolm, ps)
		if err != nil {
			t.Fatal(err)
		}
		bh, err := stats.Adjust(stats.AdjustBH, ps)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ps, raw) {
			t.Fatalf("trial %d: input modified", trial)
		}
		for i := range ps {
			for name, adj := range map[string][]float64{"holm": holm, "bh": bh} {
				if adj[i] < ps[i] || adj[i] > 1 {
					t.Fatalf("trial %d %s: p %v adjusted to %v", trial, name, ps[i], adj[i])
				}
				for j := range ps {
					if ps[i] < ps[j] && adj[i] > adj[j] || ps[i] == ps[j] && adj[i] != adj[j] {
						t.Fatalf("trial %d %s: p %v → %v but p %v → %v", trial, name, ps[i], adj[i], ps[j], adj[j])
					}
				}
			}
			if holm[i] < bh[i] {
				t.Fatalf("trial %d: holm %v below bh %v for p %v", trial, holm[i], bh[i], ps[i])
			}
		}
	}
}

// One test needs no correction.
func TestAdjustSingle(t *testing.T) {
	for _, method := range []string{stats.AdjustHolm, stats.AdjustBH} {
		got, err := stats.Adjust(method, []float64{0.03})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0] != 0.03 {
			t.Errorf("%s: %v, want [0.03]", method, got)
		}
	}
}
