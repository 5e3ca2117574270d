package workflows_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/growthbot/growthbot/workflows"
)

// TestBucketReference pins the bucketing function to values computed
// independently (Python's hashlib), as the README documents it: a service
// in any language must get the same numbers.
func TestBucketReference(t *testing.T) {
	tests := []struct {
		key, unit string
		want      float64
	}{
		{"one-click-checkout", "user-42", 0.5380816946726926},
		{"one-click-checkout:traffic", "user-42", 0.5217440649557755},
		{"guided-onboarding", "user-42", 0.9288455812536645},
		{"guided-onboarding:traffic", "user-42", 0.16947021086907255},
	}
	for _, tc := range tests {
		if got := workflows.Bucket(tc.key, tc.unit); got != tc.want {
			t.Errorf("Bucket(%q, %q) = %v, want %v", tc.key, tc.unit, got, tc.want)
		}
	}
}

func TestBucketingSplitsByWeight(t *testing.T) {
	const units = 100_000
	for _, weights := range [][]float64{{50, 50}, {1, 1, 1}, {10, 30, 60}, {1, 9}} {
		f := workflows.Flag{Key: "split", State: workflows.StateRunning, RolloutPercent: 100}
		total := 0.0
		for i, w := range weights {
			f.Variants = append(f.Variants, workflows.FlagVariant{Key: fmt.Sprint("v", i), Weight: w})
			total += w
		}
		counts := map[string]int{}
		for i := range units {
			counts[f.Assign(fmt.Sprint("unit-", i)).Variant]++
		}
		for _, v := range f.Variants {
			share := float64(counts[v.Key]) / units
			if want := v.Weight / total; math.Abs(share-want) > 0.01 {
				t.Errorf("weights %v: %s got %.4f of units, want %.4f ± 0.01", weights, v.Key, share, want)
			}
		}
	}
}

func TestBucketingIsMonotoneAsTheRolloutGrows(t *testing.T) {
	const units = 100_000
	f := workflows.Flag{Key: "guided-onboarding", State: workflows.StateRunning,
		Variants: []workflows.FlagVariant{{Key: "control", Weight: 1}, {Key: "guided", Weight: 1}}}
	variant := make([]string, units) // the variant of units in the rollout so far
	for _, pct := range []float64{0, 1, 5, 10, 25, 50, 100} {
		f.RolloutPercent = pct
		in := 0
		for i := range units {
			a := f.Assign(fmt.Sprint("u", i))
			switch {
			case a.InExperiment:
				in++
				if variant[i] != "" && variant[i] != a.Variant {
					t.Fatalf("at %v %%, unit %d moved from %s to %s", pct, i, variant[i], a.Variant)
				}
				variant[i] = a.Variant
			case variant[i] != "":
				t.Fatalf("at %v %%, unit %d left the rollout", pct, i)
			case a.Variant != "control":
				t.Fatalf("at %v %%, unit %d outside the rollout got %s", pct, i, a.Variant)
			}
		}
		if share := float64(in) / units; math.Abs(share-pct/100) > 0.01 {
			t.Errorf("at %v %%, %.4f of units are in the rollout", pct, share)
		}
	}
}

func TestAssignByState(t *testing.T) {
	variants := []workflows.FlagVariant{{Key: "control", Weight: 1}, {Key: "treatment", Weight: 1}}
	tests := []struct {
		flag   workflows.Flag
		want   string
		reason string
	}{
		{workflows.Flag{State: workflows.StateDraft, RolloutPercent: 100}, "control", "draft"},
		{workflows.Flag{State: workflows.StateShipped, RolloutPercent: 100, Winner: "treatment"}, "treatment", "shipped"},
		{workflows.Flag{State: workflows.StateKilled, Winner: "control"}, "control", "killed"},
		{workflows.Flag{State: workflows.StateRunning, RolloutPercent: 0}, "control", "outside_rollout"},
	}
	for _, tc := range tests {
		tc.flag.Key, tc.flag.Variants = "x", variants
		for i := range 1000 {
			a := tc.flag.Assign(fmt.Sprint(i))
			if a.Variant != tc.want || a.Reason != tc.reason || a.InExperiment {
				t.Fatalf("%s: unit %d got %+v, want %s (%s)", tc.flag.State, i, a, tc.want, tc.reason)
			}
		}
	}
}

func TestEvaluate(t *testing.T) {
	ctx := context.Background()
	d := newDecideEnv(t)
	book := &workflows.FlagBook{Service: d.svc}
	book.Watch()
	if _, err := book.Evaluate("one-click-checkout", "user-42", workflows.EvalOptions{}); workflows.ErrorCode(err) != workflows.EINTERNAL {
		t.Errorf("before the first refresh: %v", err)
	}
	if err := book.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	d.start("one-click-checkout", "U0ENG1") // Watch refreshes the book
	a, err := book.Evaluate("one-click-checkout", "user-42", workflows.EvalOptions{})
	// 0.5217 < 100 %, then 0.5381 falls in treatment's half.
	if err != nil || a.Variant != "treatment" || !a.InExperiment || a.Reason != "rollout" || string(a.Value) != `"treatment"` {
		t.Errorf("evaluate: %+v, %v", a, err)
	}
	_, err = book.Evaluate("one-click-chekout", "user-42", workflows.EvalOptions{})
	wantCode(t, err, workflows.ENOTFOUND)
	if want := `no experiment "one-click-chekout" (did you mean "one-click-checkout"?)`; err.Error() != want {
		t.Errorf("unknown key: %q, want %q", err, want)
	}
	_, err = book.Evaluate("one-click-checkout", "", workflows.EvalOptions{})
	wantCode(t, err, workflows.EINVALID)
	flags := book.Snapshot().Flags()
	if len(flags) != 3 {
		t.Fatalf("flags: %+v", flags)
	}
	if f := flags[2]; f.Key != "one-click-checkout" || f.State != workflows.StateRunning || f.RolloutPercent != 100 || len(f.Variants) != 2 {
		t.Errorf("flag: %+v", f)
	}
}
