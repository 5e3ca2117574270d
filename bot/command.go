package bot

import (
	"fmt"
	"html"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/growthbot/growthbot/workflows"
)

// Command is a parsed slash command. Name is the command and subcommand,
// e.g. "exp ship" or "growth goal add"; the other fields are its arguments.
type Command struct {
	Name      string
	Key       string // experiment key
	Team      string
	Variant   string
	Reason    string
	Days      int
	Percent   float64
	RolloutOp string // pause, resume, advance, or "" for a percent
	Period    string // YYYY-MM
	Title     string
	Owner     string // Slack user id
	Quarter   string // YYYY-Qn
	GoalID    int64
}

// usages is the grammar users and docs rely on: one line per command.
var usages = []struct{ name, usage, summary string }{
	{"exp help", "/exp help", "this list"},
	{"exp list", "/exp list [TEAM]", "experiments and their state"},
	{"exp new", "/exp new", "define an experiment in a form"},
	{"exp status", "/exp status KEY", "the scorecard, only to you"},
	{"exp scorecard", "/exp scorecard KEY", "post the scorecard to the experiment's thread"},
	{"exp start", "/exp start KEY", "start a draft experiment"},
	{"exp ship", "/exp ship KEY [VARIANT] [-- REASON]", "ship a variant to everyone"},
	{"exp extend", "/exp extend KEY DAYS [-- REASON]", "run longer"},
	{"exp kill", "/exp kill KEY [-- REASON]", "stop now; everyone gets the control"},
	{"exp rollout", "/exp rollout KEY PERCENT|pause|resume|advance", "steer a phased rollout"},
	{"exp history", "/exp history KEY", "every change: who, when, what and why"},
	{"growth help", "/growth help", "this list"},
	{"growth review", "/growth review [TEAM] [YYYY-MM]", "preview the monthly growth review, only to you"},
	{"growth goals", "/growth goals [TEAM]", "the quarter's goals"},
	{"growth goal add", `/growth goal add TEAM "TITLE" [@OWNER] [QUARTER]`, "add a goal (the quarter defaults to this one)"},
	{"growth goal done", "/growth goal done ID", "mark a goal done"},
	{"growth goal drop", "/growth goal drop ID", "drop a goal"},
	{"growth kpi", "/growth kpi TEAM", "the team's KPIs, month by month"},
	{"growth program", "/growth program [TEAM] [YYYY-MM]", "the experiment program: started, decided, win rate, speed, impact"},
}

// Usage returns the usage line of a command name ("exp ship").
func Usage(name string) string {
	for _, u := range usages {
		if u.name == name {
			return u.usage
		}
	}
	return ""
}

// UsageError is a command that does not parse: what is wrong, and how the
// command is used.
type UsageError struct {
	Message string
	Usage   string // one usage line, or several for an unknown subcommand
}

func (e *UsageError) Error() string { return e.Message }

// Unwrap makes a usage error an EINVALID domain error.
func (e *UsageError) Unwrap() error { return workflows.Errorf(workflows.EINVALID, "%s", e.Message) }

var (
	// A mention's id has the shape userIDPattern (and the config file)
	// accept, so that a goal never gets an owner that is no user.
	mentionPattern = regexp.MustCompile(`^<@([UW][A-Z0-9]{2,})(\|[^>]*)?>$`)
	userIDPattern  = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	monthPattern   = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)
)

// MaxCommandLength bounds the text of a command; Slack's own limit is
// 4,000 characters.
const MaxCommandLength = 4000

// ParseCommand parses the text of /exp or /growth (command is "/exp" or
// "/growth"). Text arrives escaped by Slack (&amp; &lt; &gt;, <@U123|name>).
func ParseCommand(command, text string) (Command, error) {
	root := strings.TrimPrefix(strings.TrimSpace(command), "/")
	if root != "exp" && root != "growth" {
		return Command{}, &UsageError{Message: fmt.Sprintf("growthbot does not know the command /%s", root), Usage: "/exp help or /growth help"}
	}
	if len(text) > MaxCommandLength {
		return Command{}, &UsageError{Message: fmt.Sprintf("that command is %d characters long; the limit is %d", len(text), MaxCommandLength), Usage: "/" + root + " help"}
	}
	head, reason, hasReason := strings.Cut(text, " -- ")
	if !hasReason {
		if h, ok := strings.CutSuffix(strings.TrimRight(head, " "), " --"); ok {
			head, hasReason = h, true
		}
	}
	words, err := tokenize(head)
	if err != nil {
		return Command{}, &UsageError{Message: err.Error(), Usage: "/" + root + " help"}
	}
	if len(words) == 0 {
		words = []string{"help"}
	}
	p := &parser{root: root, words: words}
	c := Command{Reason: strings.TrimSpace(html.UnescapeString(reason))}
	sub := strings.ToLower(words[0])
	if root == "growth" && sub == "goal" && len(words) > 1 {
		sub = "goal " + strings.ToLower(words[1])
		p.pos = 2
	} else {
		p.pos = 1
	}
	c.Name = root + " " + sub
	if Usage(c.Name) == "" {
		return c, p.unknown(sub)
	}
	if hasReason && !slices.Contains([]string{"exp ship", "exp extend", "exp kill"}, c.Name) {
		return c, p.fail(c.Name, "only ship, extend and kill take a reason after --")
	}
	if err := p.args(&c); err != nil {
		return c, err
	}
	if p.pos < len(p.words) {
		return c, p.fail(c.Name, fmt.Sprintf("unexpected %q", p.words[p.pos]))
	}
	return c, nil
}

type parser struct {
	root  string
	words []string
	pos   int
}

func (p *parser) next() (string, bool) {
	if p.pos >= len(p.words) {
		return "", false
	}
	w := p.words[p.pos]
	p.pos++
	return w, true
}

func (p *parser) peek() string {
	if p.pos >= len(p.words) {
		return ""
	}
	return p.words[p.pos]
}

func (p *parser) fail(name, msg string) error {
	return &UsageError{Message: msg, Usage: Usage(name)}
}

func (p *parser) unknown(sub string) error {
	var names, lines []string
	for _, u := range usages {
		if strings.HasPrefix(u.name, p.root+" ") {
			names = append(names, strings.TrimPrefix(u.name, p.root+" "))
			lines = append(lines, u.usage)
		}
	}
	msg := fmt.Sprintf("/%s has no subcommand %q", p.root, sub)
	if s := workflows.Closest(sub, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return &UsageError{Message: msg, Usage: strings.Join(lines, "\n")}
}

// required takes the next word as the argument what, or fails.
func (p *parser) required(name, what string) (string, error) {
	w, ok := p.next()
	if !ok {
		return "", p.fail(name, "missing "+what)
	}
	return w, nil
}

func (p *parser) args(c *Command) error {
	var err error
	switch c.Name {
	case "exp help", "exp new", "growth help":
	case "exp list", "growth goals":
		c.Team, _ = p.next()
	case "exp status", "exp scorecard", "exp start", "exp history", "exp kill":
		c.Key, err = p.required(c.Name, "the experiment KEY")
	case "exp ship":
		if c.Key, err = p.required(c.Name, "the experiment KEY"); err == nil {
			c.Variant, _ = p.next()
		}
	case "exp extend":
		if c.Key, err = p.required(c.Name, "the experiment KEY"); err != nil {
			return err
		}
		days, err := p.required(c.Name, "DAYS, the number of days to add")
		if err != nil {
			return err
		}
		c.Days, err = strconv.Atoi(strings.TrimSuffix(strings.ToLower(days), "d"))
		if err != nil || c.Days < 1 || c.Days > 365 {
			return p.fail(c.Name, fmt.Sprintf("DAYS must be a whole number of days from 1 to 365, not %q", days))
		}
	case "exp rollout":
		if c.Key, err = p.required(c.Name, "the experiment KEY"); err != nil {
			return err
		}
		arg, err := p.required(c.Name, "a PERCENT, or pause, resume or advance")
		if err != nil {
			return err
		}
		switch op := strings.ToLower(arg); op {
		case "pause", "resume", "advance":
			c.RolloutOp = op
		default:
			pct, perr := strconv.ParseFloat(strings.TrimSuffix(arg, "%"), 64)
			if perr != nil || pct < 0 || pct > 100 || pct != pct {
				return p.fail(c.Name, fmt.Sprintf("%q is not a percent from 0 to 100, nor pause, resume or advance", arg))
			}
			c.Percent = pct
		}
	case "growth review", "growth program":
		for w, ok := p.next(); ok; w, ok = p.next() {
			if monthPattern.MatchString(w) {
				c.Period = w
			} else if c.Team == "" && c.Period == "" {
				c.Team = w
			} else {
				return p.fail(c.Name, fmt.Sprintf("%q is not a month like 2026-10", w))
			}
		}
	case "growth kpi":
		c.Team, err = p.required(c.Name, "the TEAM")
	case "growth goal add":
		return p.goalAdd(c)
	case "growth goal done", "growth goal drop":
		id, err := p.required(c.Name, "the goal ID (see /growth goals)")
		if err != nil {
			return err
		}
		c.GoalID, err = strconv.ParseInt(strings.TrimPrefix(id, "#"), 10, 64)
		if err != nil || c.GoalID < 1 {
			return p.fail(c.Name, fmt.Sprintf("%q is not a goal ID; /growth goals lists them", id))
		}
	}
	return err
}

func (p *parser) goalAdd(c *Command) error {
	var err error
	if c.Team, err = p.required(c.Name, "the TEAM"); err != nil {
		return err
	}
	if c.Title, err = p.required(c.Name, `the "TITLE", in quotes`); err != nil {
		return err
	}
	if strings.TrimSpace(c.Title) == "" {
		return p.fail(c.Name, "the goal's title is empty")
	}
	if len(c.Title) > 200 {
		return p.fail(c.Name, fmt.Sprintf("the title is %d characters; keep it under 200", len(c.Title)))
	}
	if w := p.peek(); w != "" && !workflows.ValidQuarter(strings.ToUpper(w)) {
		p.pos++
		owner, ok := parseUser(w)
		if !ok {
			return p.fail(c.Name, fmt.Sprintf("%q is neither an @mention of the owner nor a quarter like 2026-Q4 (put a title of several words in quotes)", w))
		}
		c.Owner = owner
	}
	if w, ok := p.next(); ok {
		if !workflows.ValidQuarter(strings.ToUpper(w)) {
			return p.fail(c.Name, fmt.Sprintf("%q is not a quarter like 2026-Q4", w))
		}
		c.Quarter = strings.ToUpper(w)
	}
	return nil
}

// parseUser reads a user mention as Slack escapes it (<@U123|name>) or a
// bare user id.
func parseUser(w string) (string, bool) {
	if m := mentionPattern.FindStringSubmatch(w); m != nil {
		return m[1], true
	}
	if userIDPattern.MatchString(w) {
		return w, true
	}
	return "", false
}

// tokenize splits text into words, keeping "quoted strings" (straight or
// curly quotes, as Slack clients type them) together and unescaping what
// Slack escaped.
func tokenize(text string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, quote := false, rune(0)
	for _, r := range text {
		switch {
		case quote != 0:
			if r == quote || (quote == '“' && r == '”') {
				quote = 0
				continue
			}
			cur.WriteRune(r)
		case r == '"' || r == '“':
			quote, inWord = r, true
		case unicode.IsSpace(r):
			if inWord {
				words = append(words, html.UnescapeString(cur.String()))
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("a quote is not closed")
	}
	if inWord {
		words = append(words, html.UnescapeString(cur.String()))
	}
	return words, nil
}
