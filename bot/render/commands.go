package render

import (
	"regexp"
	"strings"

	"github.com/growthbot/growthbot/workflows"
)

// CommandNames are the slash commands growthbot is installed under. An
// operator renames them when another app of the workspace already owns
// /exp or /growth (the manifest declares the same names). An empty field
// is the usual name.
type CommandNames struct {
	Exp    string // "/exp" by default
	Growth string // "/growth" by default
}

// commandNamePattern is what Slack accepts as a slash command: a slash,
// then at most 31 lower-case letters, digits, dashes or underscores.
var commandNamePattern = regexp.MustCompile(`^/[a-z0-9][a-z0-9_-]{0,30}$`)

// Validate reports a name Slack would not accept, or two commands under
// one name.
func (n CommandNames) Validate() error {
	n = n.Resolved()
	for _, name := range []string{n.Exp, n.Growth} {
		if !commandNamePattern.MatchString(name) {
			return workflows.Errorf(workflows.EINVALID, "%q is not a slash command Slack accepts: a slash, then up to 31 lower-case letters, digits, - or _", name)
		}
	}
	if n.Exp == n.Growth {
		return workflows.Errorf(workflows.EINVALID, "the experiment and growth commands are both %s; give them different names", n.Exp)
	}
	return nil
}

// Resolved fills in the usual names and the leading slash.
func (n CommandNames) Resolved() CommandNames {
	name := func(s, def string) string {
		if s = strings.TrimSpace(s); s == "" {
			return def
		}
		return "/" + strings.TrimPrefix(s, "/")
	}
	return CommandNames{Exp: name(n.Exp, "/exp"), Growth: name(n.Growth, "/growth")}
}

// Of returns the installed name of a grammar root ("exp" or "growth").
func (n CommandNames) Of(root string) string {
	if root == "growth" {
		return n.Growth
	}
	return n.Exp
}
