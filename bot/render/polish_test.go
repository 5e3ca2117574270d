package render_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/bot/internal/fixture"
	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/workflows"
)

func TestTruncateCountsCharactersAndKeepsTokens(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"ééééééééééé", 10, "ééééééééé…"}, // 11 characters, 22 bytes
		{"see <@U0PM> now", 8, "see …"},
		{"a &amp; b", 4, "a …"},
		{"a &amp; b", 8, "a &amp;…"},
		{"<!date^1700000000^{date_short_pretty}|14 Nov 2023> is when", 20, "…"},
	}
	for _, tc := range tests {
		if got := render.Truncate(tc.s, tc.n); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}

// TestButtonsFollowTheRecommendation: only the recommended action is
// primary; Ship always asks first and says when it goes against the data;
// with two treatments there is a Ship for each.
func TestButtonsFollowTheRecommendation(t *testing.T) {
	r, err := render.NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	two := fixture.Experiments()[0]
	two.Variants = []workflows.Variant{{Key: "control", Weight: 1}, {Key: "treatment", Weight: 1}}
	three := two
	three.Variants = append(three.Variants, workflows.Variant{Key: "bold", Weight: 1})
	buttons := func(e workflows.Experiment, rec workflows.Recommendation) []map[string]any {
		t.Helper()
		out, err := r.RenderContent(workflows.OverdueReminder{Experiment: e, DaysOver: 2, Recommendation: rec})
		if err != nil {
			t.Fatal(err)
		}
		var blocks []map[string]any
		json.Unmarshal(out.Blocks, &blocks)
		var els []map[string]any
		for _, b := range blocks {
			for _, el := range asList(b["elements"]) {
				els = append(els, el.(map[string]any))
			}
		}
		return els
	}
	label := func(b map[string]any) string { return b["text"].(map[string]any)["text"].(string) }
	confirm := func(b map[string]any) string {
		c, _ := b["confirm"].(map[string]any)
		if c == nil {
			return ""
		}
		return c["text"].(map[string]any)["text"].(string)
	}
	for _, tc := range []struct {
		name    string
		e       workflows.Experiment
		rec     workflows.Recommendation
		primary string // the one primary button, "" for none
		ships   []string
		against []string // ships whose confirmation says the data recommends otherwise
	}{
		{"kill recommended", two, workflows.Recommendation{Action: workflows.RecommendKill}, "", []string{"Ship"}, []string{"Ship"}},
		{"ship recommended", two, workflows.Recommendation{Action: workflows.RecommendShip, Variant: "treatment"}, "Ship", []string{"Ship"}, nil},
		{"extend recommended", two, workflows.Recommendation{Action: workflows.RecommendExtend}, "Extend 7 days", []string{"Ship"}, []string{"Ship"}},
		{"two treatments", three, workflows.Recommendation{Action: workflows.RecommendShip, Variant: "bold"}, "Ship bold", []string{"Ship treatment", "Ship bold"}, []string{"Ship treatment"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var primary, ships []string
			for _, b := range buttons(tc.e, tc.rec) {
				if b["style"] == "primary" {
					primary = append(primary, label(b))
				}
				if strings.HasPrefix(label(b), "Ship") {
					ships = append(ships, label(b))
					if c := confirm(b); c == "" {
						t.Errorf("%s has no confirmation", label(b))
					} else if strings.Contains(c, "does not recommend") != slices.Contains(tc.against, label(b)) {
						t.Errorf("%s confirmation: %q", label(b), c)
					}
				}
			}
			if want := []string{tc.primary}; tc.primary == "" && len(primary) != 0 || tc.primary != "" && !slices.Equal(primary, want) {
				t.Errorf("primary buttons %q, want %q", primary, tc.primary)
			}
			if !slices.Equal(ships, tc.ships) {
				t.Errorf("ship buttons %q, want %q", ships, tc.ships)
			}
		})
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }
