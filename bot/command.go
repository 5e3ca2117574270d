package bot

import (
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/growthbot/growthbot/bot/render"
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
// "/growth") by the grammar as installed under its usual names. Text
// arrives escaped by Slack (&amp; &lt; &gt;, <@U123|name>).
func ParseCommand(command, text string) (Command, error) {
	c, _, err := newCommandTable(render.CommandNames{}).parse(command, text)
	return c, err
}

// Usage returns the usage line of a command name ("exp ship"), with the
// commands under their usual names.
func Usage(name string) string { return newCommandTable(render.CommandNames{}).usage(name) }

// parse parses the text of one of the table's slash commands and returns
// the command, its route and, when it does not parse, a *UsageError. The
// route is nil when the command names no route.
func (t *commandTable) parse(command, text string) (Command, *commandRoute, error) {
	installed := strings.TrimPrefix(strings.TrimSpace(command), "/")
	root, ok := t.roots[installed]
	if !ok {
		return Command{}, nil, &UsageError{Message: fmt.Sprintf("growthbot does not know the command /%s", installed),
			Usage: t.names.Exp + " help or " + t.names.Growth + " help"}
	}
	help := t.names.Of(root) + " help"
	if len(text) > MaxCommandLength {
		return Command{}, nil, &UsageError{Message: fmt.Sprintf("that command is %d characters long; the limit is %d", len(text), MaxCommandLength), Usage: help}
	}
	head, reason, hasReason := cutReason(text)
	words, err := tokenize(head)
	if err != nil {
		return Command{}, nil, &UsageError{Message: err.Error(), Usage: help}
	}
	if len(words) == 0 {
		words = []string{"help"}
	}
	p := &parser{words: words, pos: 1, names: t.names}
	c := Command{Reason: strings.TrimSpace(html.UnescapeString(reason))}
	sub := strings.ToLower(words[0])
	// A subcommand of two words ("goal add") is one when its first word
	// opens one.
	if len(words) > 1 && t.groups[root+" "+sub] {
		sub += " " + strings.ToLower(words[1])
		p.pos = 2
	}
	c.Name = root + " " + sub
	rt := t.byName[c.Name]
	if rt == nil {
		return c, nil, t.unknown(root, sub)
	}
	p.usage = t.usage(c.Name)
	if hasReason && !rt.reason {
		return c, rt, p.fail(t.reasonNote)
	}
	if rt.parse != nil {
		if err := rt.parse(p, &c); err != nil {
			return c, rt, err
		}
	}
	if p.pos < len(p.words) {
		return c, rt, p.fail(fmt.Sprintf("unexpected %q", p.words[p.pos]))
	}
	return c, rt, nil
}

// cutReason splits a command's text at " -- " into its words and the
// reason. Phones turn -- into a dash: " — " and " – " separate the reason
// too.
func cutReason(text string) (head, reason string, ok bool) {
	for _, sep := range []string{"--", "—", "–"} {
		if head, reason, ok = strings.Cut(text, " "+sep+" "); ok {
			return head, reason, true
		}
		if h, found := strings.CutSuffix(strings.TrimRight(text, " "), " "+sep); found {
			return h, "", true
		}
	}
	return text, "", false
}

// parser reads the words of one command's arguments.
type parser struct {
	words []string
	pos   int
	usage string // the command's usage line, for its errors
	names render.CommandNames
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

func (p *parser) fail(msg string) error {
	return &UsageError{Message: msg, Usage: p.usage}
}

// unknown refuses a subcommand the grammar does not have, with a guess and
// every usage line of the command.
func (t *commandTable) unknown(root, sub string) error {
	var names, lines []string
	for _, rt := range t.routes {
		if rt.root == root {
			names = append(names, rt.sub)
			lines = append(lines, t.usage(rt.name()))
		}
	}
	msg := fmt.Sprintf("%s has no subcommand %q", t.names.Of(root), sub)
	// What the word begins is a better guess than the nearest spelling:
	// "stat" is short for status, not a typo of start.
	var prefixed []string
	for _, n := range names {
		if strings.HasPrefix(n, sub) {
			prefixed = append(prefixed, n)
		}
	}
	if len(prefixed) == 1 {
		msg += fmt.Sprintf(" (did you mean %q?)", prefixed[0])
	} else if s := workflows.Closest(sub, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return &UsageError{Message: msg, Usage: strings.Join(lines, "\n")}
}

// required takes the next word as the argument what, or fails.
func (p *parser) required(what string) (string, error) {
	w, ok := p.next()
	if !ok {
		return "", p.fail("missing " + what)
	}
	return w, nil
}

// The argument parsers of the routes (commandRoutes).

// parseTeam reads an optional TEAM.
func parseTeam(p *parser, c *Command) error {
	c.Team, _ = p.next()
	return nil
}

// parseKey reads the experiment KEY.
func parseKey(p *parser, c *Command) (err error) {
	c.Key, err = p.required("the experiment KEY")
	return err
}

// parseShip reads KEY [VARIANT].
func parseShip(p *parser, c *Command) error {
	if err := parseKey(p, c); err != nil {
		return err
	}
	c.Variant, _ = p.next()
	return nil
}

// parseExtend reads KEY DAYS.
func parseExtend(p *parser, c *Command) error {
	if err := parseKey(p, c); err != nil {
		return err
	}
	days, err := p.required("DAYS, the number of days to add")
	if err != nil {
		return err
	}
	c.Days, err = strconv.Atoi(strings.TrimSuffix(strings.ToLower(days), "d"))
	if err != nil || c.Days < 1 || c.Days > 365 {
		return p.fail(fmt.Sprintf("DAYS must be a whole number of days from 1 to 365, not %q", days))
	}
	return nil
}

// parseRollout reads KEY PERCENT|pause|resume|advance.
func parseRollout(p *parser, c *Command) error {
	if err := parseKey(p, c); err != nil {
		return err
	}
	arg, err := p.required("a PERCENT, or pause, resume or advance")
	if err != nil {
		return err
	}
	switch op := strings.ToLower(arg); op {
	case "pause", "resume", "advance":
		c.RolloutOp = op
	default:
		pct, perr := strconv.ParseFloat(strings.TrimSuffix(arg, "%"), 64)
		if perr != nil || pct < 0 || pct > 100 || pct != pct {
			return p.fail(fmt.Sprintf("%q is not a percent from 0 to 100, nor pause, resume or advance", arg))
		}
		c.Percent = pct
	}
	return nil
}

// parseTeamMonth reads [TEAM] [YYYY-MM].
func parseTeamMonth(p *parser, c *Command) error {
	for w, ok := p.next(); ok; w, ok = p.next() {
		if monthPattern.MatchString(w) {
			c.Period = w
		} else if c.Team == "" && c.Period == "" {
			c.Team = w
		} else {
			return p.fail(fmt.Sprintf("%q is not a month like 2026-10", w))
		}
	}
	return nil
}

// parseGoalID reads a goal's ID.
func parseGoalID(p *parser, c *Command) error {
	id, err := p.required("the goal ID (see " + p.names.Growth + " goals)")
	if err != nil {
		return err
	}
	c.GoalID, err = strconv.ParseInt(strings.TrimPrefix(id, "#"), 10, 64)
	if err != nil || c.GoalID < 1 {
		return p.fail(fmt.Sprintf("%q is not a goal ID; %s goals lists them", id, p.names.Growth))
	}
	return nil
}

// parseGoalAdd reads TEAM "TITLE" [@OWNER] [QUARTER].
func parseGoalAdd(p *parser, c *Command) error {
	var err error
	if c.Team, err = p.required("the TEAM"); err != nil {
		return err
	}
	if c.Title, err = p.required(`the "TITLE", in quotes`); err != nil {
		return err
	}
	if strings.TrimSpace(c.Title) == "" {
		return p.fail("the goal's title is empty")
	}
	if len(c.Title) > 200 {
		return p.fail(fmt.Sprintf("the title is %d characters; keep it under 200", len(c.Title)))
	}
	if w := p.peek(); w != "" && !workflows.ValidQuarter(strings.ToUpper(w)) {
		p.pos++
		owner, ok := parseUser(w)
		if !ok {
			return p.fail(fmt.Sprintf("%q is neither an @mention of the owner nor a quarter like 2026-Q4 (put a title of several words in quotes)", w))
		}
		c.Owner = owner
	}
	if w, ok := p.next(); ok {
		if !workflows.ValidQuarter(strings.ToUpper(w)) {
			return p.fail(fmt.Sprintf("%q is not a quarter like 2026-Q4", w))
		}
		c.Quarter = strings.ToUpper(w)
	}
	return nil
}

// parseUser reads a user mention as Slack escapes it (<@U123|name>), a
// typed @U123 (Slack leaves an id typed by hand as it is) or a bare user id.
func parseUser(w string) (string, bool) {
	if m := mentionPattern.FindStringSubmatch(w); m != nil {
		return m[1], true
	}
	if id := strings.TrimPrefix(w, "@"); userIDPattern.MatchString(id) {
		return id, true
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
