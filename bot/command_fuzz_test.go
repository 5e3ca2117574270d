package bot_test

import (
	"html"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/bot"
	"github.com/growthbot/growthbot/workflows"
)

// slackUserID is what the config file accepts as a user id; an owner the
// parser accepts must be one too, or the goal would name nobody.
var slackUserID = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)

var monthPeriod = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)

// FuzzParseCommand throws any command and text at ParseCommand. Whatever
// the input, it must not panic; a refusal must be a *UsageError that says
// what is wrong and how the command is used; an accepted command must be
// one of the grammar's, with its arguments in range, and must parse back
// to itself from its canonical form. Run it with
//
//	go test -run='^$' -fuzz='^FuzzParseCommand$' ./bot
func FuzzParseCommand(f *testing.F) {
	for _, s := range [][2]string{
		{"/exp", ""},
		{"/exp", "LIST checkout"},
		{"/exp", "ship one-click treatment -- beats control &amp; errors flat"},
		{"/exp", "kill one-click --"},
		{"/exp", "extend one-click 10d"},
		{"/exp", "rollout guided 2.5%"},
		{"/exp", "rollout guided Pause"},
		{"/exp", `ship "one-click`},
		{"/growth", "review checkout 2026-10"},
		{"/growth", `goal add checkout “Curly quotes from Slack” <@U0ENG1|ana> 2026-q4`},
		{"/growth", `goal add checkout Single 2027-Q1`},
		{"/growth", "goal drop #3"},
		{"/growth", "kpi checkout"},
		{"/deploy", "now"},
		{" /growth ", "goal finish 3"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, command, text string) {
		c, err := bot.ParseCommand(command, text)
		if err != nil {
			ue, ok := err.(*bot.UsageError)
			if !ok {
				t.Fatalf("error %T %v, want a *bot.UsageError", err, err)
			}
			if strings.TrimSpace(ue.Message) == "" || strings.TrimSpace(ue.Usage) == "" {
				t.Fatalf("usage error without a message or usage: %#v", ue)
			}
			if workflows.ErrorCode(err) != workflows.EINVALID {
				t.Fatalf("code %q, want invalid", workflows.ErrorCode(err))
			}
			return
		}
		checkCommand(t, c)
		root := strings.Fields(c.Name)[0]
		again := canonical(c)
		if len(again) > bot.MaxCommandLength {
			return // escaping made it longer than a command may be
		}
		c2, err := bot.ParseCommand("/"+root, again)
		if err != nil {
			t.Fatalf("%+v\nwritten as %q does not parse: %v", c, again, err)
		}
		if c2 != c {
			t.Fatalf("round trip through %q:\ngot  %+v\nwant %+v", again, c2, c)
		}
	})
}

// checkCommand checks what every accepted command must satisfy.
func checkCommand(t *testing.T, c bot.Command) {
	t.Helper()
	if bot.Usage(c.Name) == "" {
		t.Fatalf("accepted a command the grammar does not have: %+v", c)
	}
	if (c.Days != 0) != (c.Name == "exp extend") || c.Days < 0 || c.Days > 365 {
		t.Fatalf("days %d for %s", c.Days, c.Name)
	}
	if c.RolloutOp != "" && (c.Name != "exp rollout" || c.Percent != 0) {
		t.Fatalf("rollout op %q and percent %v for %s", c.RolloutOp, c.Percent, c.Name)
	}
	if math.IsNaN(c.Percent) || math.IsInf(c.Percent, 0) || c.Percent < 0 || c.Percent > 100 {
		t.Fatalf("percent %v", c.Percent)
	}
	switch c.RolloutOp {
	case "", "pause", "resume", "advance":
	default:
		t.Fatalf("rollout op %q", c.RolloutOp)
	}
	isGoalID := c.Name == "growth goal done" || c.Name == "growth goal drop"
	if (isGoalID && c.GoalID < 1) || (!isGoalID && c.GoalID != 0) {
		t.Fatalf("goal id %d for %s", c.GoalID, c.Name)
	}
	if c.Owner != "" && !slackUserID.MatchString(c.Owner) {
		t.Fatalf("owner %q is not a Slack user id", c.Owner)
	}
	if c.Quarter != "" && !workflows.ValidQuarter(c.Quarter) {
		t.Fatalf("quarter %q", c.Quarter)
	}
	if c.Period != "" && !monthPeriod.MatchString(c.Period) {
		t.Fatalf("period %q", c.Period)
	}
	if c.Name == "growth goal add" && (strings.TrimSpace(c.Title) == "" || len(c.Title) > 200) {
		t.Fatalf("title %q", c.Title)
	}
	if c.Reason != "" && c.Name != "exp ship" && c.Name != "exp extend" && c.Name != "exp kill" {
		t.Fatalf("a reason for %s", c.Name)
	}
}

// canonical writes c as a user would type it, escaping each argument the
// way Slack does so that any word survives: the parser splits at white
// space and at " -- " before it unescapes.
func canonical(c bot.Command) string {
	words := strings.Fields(c.Name)[1:]
	add := func(args ...string) {
		for _, a := range args {
			words = append(words, word(a))
		}
	}
	opt := func(arg string) {
		if arg != "" {
			add(arg)
		}
	}
	switch c.Name {
	case "exp list", "growth goals":
		opt(c.Team)
	case "exp status", "exp scorecard", "exp start", "exp history", "exp kill":
		add(c.Key)
	case "exp ship":
		add(c.Key)
		opt(c.Variant)
	case "exp extend":
		add(c.Key, strconv.Itoa(c.Days))
	case "exp rollout":
		if c.RolloutOp != "" {
			add(c.Key, c.RolloutOp)
		} else {
			add(c.Key, strconv.FormatFloat(c.Percent, 'g', -1, 64))
		}
	case "growth review":
		opt(c.Team)
		opt(c.Period)
	case "growth kpi":
		opt(c.Team)
	case "growth goal add":
		add(c.Team, c.Title)
		opt(c.Owner)
		opt(c.Quarter)
	case "growth goal done", "growth goal drop":
		add(strconv.FormatInt(c.GoalID, 10))
	}
	text := strings.Join(words, " ")
	if c.Reason != "" {
		text += " -- " + html.EscapeString(c.Reason)
	}
	return text
}

// word escapes one argument: &, <, > and straight quotes as entities,
// dashes too when it holds "--", all in straight quotes, inside which white
// space and curly quotes are plain characters.
func word(s string) string {
	e := html.EscapeString(s)
	if strings.Contains(e, "--") {
		e = strings.ReplaceAll(e, "-", "&#45;")
	}
	return `"` + e + `"`
}
