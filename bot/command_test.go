package bot_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/bot"
	"github.com/growthbot/growthbot/workflows"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		cmd, text string
		want      bot.Command
	}{
		{"/exp", "", bot.Command{Name: "exp help"}},
		{"/exp", "help", bot.Command{Name: "exp help"}},
		{"/exp", "list", bot.Command{Name: "exp list"}},
		{"/exp", "LIST checkout", bot.Command{Name: "exp list", Team: "checkout"}},
		{"/exp", "new", bot.Command{Name: "exp new"}},
		{"/exp", "status one-click", bot.Command{Name: "exp status", Key: "one-click"}},
		{"/exp", "scorecard one-click", bot.Command{Name: "exp scorecard", Key: "one-click"}},
		{"/exp", "start one-click", bot.Command{Name: "exp start", Key: "one-click"}},
		{"/exp", "ship one-click", bot.Command{Name: "exp ship", Key: "one-click"}},
		{"/exp", "ship one-click treatment -- beats control &amp; errors flat", bot.Command{Name: "exp ship", Key: "one-click", Variant: "treatment", Reason: "beats control & errors flat"}},
		{"/exp", "ship one-click -- it wins", bot.Command{Name: "exp ship", Key: "one-click", Reason: "it wins"}},
		{"/exp", "extend one-click 7 -- underpowered", bot.Command{Name: "exp extend", Key: "one-click", Days: 7, Reason: "underpowered"}},
		{"/exp", "extend one-click 10d", bot.Command{Name: "exp extend", Key: "one-click", Days: 10}},
		{"/exp", "kill one-click -- errors up 30%", bot.Command{Name: "exp kill", Key: "one-click", Reason: "errors up 30%"}},
		{"/exp", "kill one-click --", bot.Command{Name: "exp kill", Key: "one-click"}},
		{"/exp", "rollout guided 25", bot.Command{Name: "exp rollout", Key: "guided", Percent: 25}},
		{"/exp", "rollout guided 2.5%", bot.Command{Name: "exp rollout", Key: "guided", Percent: 2.5}},
		{"/exp", "rollout guided Pause", bot.Command{Name: "exp rollout", Key: "guided", RolloutOp: "pause"}},
		{"/exp", "rollout guided resume", bot.Command{Name: "exp rollout", Key: "guided", RolloutOp: "resume"}},
		{"/exp", "rollout guided advance", bot.Command{Name: "exp rollout", Key: "guided", RolloutOp: "advance"}},
		{"/exp", "history one-click", bot.Command{Name: "exp history", Key: "one-click"}},
		{"/growth", "review", bot.Command{Name: "growth review"}},
		{"/growth", "review checkout", bot.Command{Name: "growth review", Team: "checkout"}},
		{"/growth", "review checkout 2026-10", bot.Command{Name: "growth review", Team: "checkout", Period: "2026-10"}},
		{"/growth", "review 2026-10", bot.Command{Name: "growth review", Period: "2026-10"}},
		{"/growth", "goals", bot.Command{Name: "growth goals"}},
		{"/growth", "goals checkout", bot.Command{Name: "growth goals", Team: "checkout"}},
		{"/growth", `goal add checkout "Ship one-click to 100 %"`, bot.Command{Name: "growth goal add", Team: "checkout", Title: "Ship one-click to 100 %"}},
		{"/growth", `goal add checkout “Curly quotes from Slack” <@U0ENG1|ana> 2026-q4`, bot.Command{Name: "growth goal add", Team: "checkout", Title: "Curly quotes from Slack", Owner: "U0ENG1", Quarter: "2026-Q4"}},
		{"/growth", `goal add checkout "Faster checkout" <@U0ENG2>`, bot.Command{Name: "growth goal add", Team: "checkout", Title: "Faster checkout", Owner: "U0ENG2"}},
		{"/growth", `goal add checkout Single 2027-Q1`, bot.Command{Name: "growth goal add", Team: "checkout", Title: "Single", Quarter: "2027-Q1"}},
		{"/growth", "goal done 12", bot.Command{Name: "growth goal done", GoalID: 12}},
		{"/growth", "goal drop #3", bot.Command{Name: "growth goal drop", GoalID: 3}},
		{"/growth", "kpi checkout", bot.Command{Name: "growth kpi", Team: "checkout"}},
		{"/growth", "kpi", bot.Command{Name: "growth kpi"}},
		{"/growth", `goal add checkout "Typed owner" @U0ENG3`, bot.Command{Name: "growth goal add", Team: "checkout", Title: "Typed owner", Owner: "U0ENG3"}},
		{"/exp", "kill one-click — errors up", bot.Command{Name: "exp kill", Key: "one-click", Reason: "errors up"}},
		{"/exp", "extend one-click 7 – underpowered", bot.Command{Name: "exp extend", Key: "one-click", Days: 7, Reason: "underpowered"}},
		{"/exp", "kill one-click —", bot.Command{Name: "exp kill", Key: "one-click"}},
	}
	for _, tc := range tests {
		t.Run(tc.cmd+" "+tc.text, func(t *testing.T) {
			got, err := bot.ParseCommand(tc.cmd, tc.text)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseCommandErrors(t *testing.T) {
	tests := []struct {
		cmd, text string
		msg       string // in the message
		usage     string // in the usage
	}{
		{"/exp", "shp one-click", `/exp has no subcommand "shp" (did you mean "ship"?)`, "/exp ship KEY [VARIANT] [-- REASON]"},
		{"/exp", "launch x", `/exp has no subcommand "launch"`, "/exp history KEY"},
		{"/exp", "status", "missing the experiment KEY", "/exp status KEY"},
		{"/exp", "extend one-click", "missing DAYS", "/exp extend KEY DAYS [-- REASON]"},
		{"/exp", "extend one-click soon", `DAYS must be a whole number of days from 1 to 365, not "soon"`, "/exp extend KEY DAYS"},
		{"/exp", "extend one-click 0", "DAYS must be a whole number", "/exp extend"},
		{"/exp", "extend one-click 400", "DAYS must be a whole number", "/exp extend"},
		{"/exp", "rollout guided", "missing a PERCENT", "/exp rollout KEY PERCENT|pause|resume|advance"},
		{"/exp", "rollout guided 150", `"150" is not a percent from 0 to 100`, "/exp rollout"},
		{"/exp", "rollout guided faster", `"faster" is not a percent`, "/exp rollout"},
		{"/exp", "start one-click now", `unexpected "now"`, "/exp start KEY"},
		{"/exp", "list checkout -- why", "only ship, extend and kill take a reason", "/exp list"},
		{"/exp", `ship "one-click`, "a quote is not closed", "/exp help"},
		{"/exp", strings.Repeat("x", 4001), "the limit is 4000", "/exp help"},
		{"/deploy", "now", "does not know the command /deploy", "/exp help"},
		{"/growth", "review checkout october", `"october" is not a month like 2026-10`, "/growth review [TEAM] [YYYY-MM]"},
		{"/growth", "review checkout 2026-13", `"2026-13" is not a month`, "/growth review"},
		{"/exp", "stat one-click", `no subcommand "stat" (did you mean "status"?)`, "/exp status KEY"},
		{"/growth", "goal add checkout", `missing the "TITLE"`, `/growth goal add TEAM "TITLE" [@OWNER] [QUARTER]`},
		{"/growth", `goal add checkout "   "`, "title is empty", "/growth goal add"},
		{"/growth", `goal add checkout Faster checkout`, `"checkout" is neither an @mention of the owner nor a quarter`, "/growth goal add"},
		{"/growth", `goal add checkout "T" <@U0A> Q4`, `"Q4" is not a quarter like 2026-Q4`, "/growth goal add"},
		{"/growth", `goal add checkout "` + strings.Repeat("t", 201) + `"`, "keep it under 200", "/growth goal add"},
		{"/growth", "goal done", "missing the goal ID", "/growth goal done ID"},
		{"/growth", "goal done twelve", `"twelve" is not a goal ID`, "/growth goal done ID"},
		{"/growth", "goal finish 3", `/growth has no subcommand "goal finish"`, "/growth goal done ID"},
	}
	for _, tc := range tests {
		t.Run(tc.cmd+" "+tc.text[:min(len(tc.text), 40)], func(t *testing.T) {
			_, err := bot.ParseCommand(tc.cmd, tc.text)
			var ue *bot.UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("error %v, want a *UsageError", err)
			}
			if workflows.ErrorCode(err) != workflows.EINVALID {
				t.Errorf("code %q, want invalid", workflows.ErrorCode(err))
			}
			if !strings.Contains(ue.Message, tc.msg) {
				t.Errorf("message %q does not say %q", ue.Message, tc.msg)
			}
			if !strings.Contains(ue.Usage, tc.usage) {
				t.Errorf("usage %q does not show %q", ue.Usage, tc.usage)
			}
		})
	}
}
