package bot_test

import (
	"testing"

	"github.com/growthbot/growthbot/bot"
	"github.com/growthbot/growthbot/bot/internal/golden"
	"github.com/growthbot/growthbot/bot/render"
)

// TestGoldenHelp: /exp help and /growth help, which the route table
// writes.
func TestGoldenHelp(t *testing.T) {
	for _, root := range []string{"exp", "growth"} {
		t.Run("help-"+root, func(t *testing.T) {
			r, err := bot.RenderHelp(root).Rendered()
			if err != nil {
				t.Fatal(err)
			}
			text, _ := render.PlainText(r.Text, r.Blocks)
			golden.Check(t, "help-"+root, r, text)
		})
	}
}
