package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/workflows"
)

// Slack's limits, enforced by every renderer so that a message is never
// refused for its size.
const (
	MaxMessageBlocks = 50
	MaxViewBlocks    = 100 // modals and App Home
	MaxTextLength    = 3000
	maxHeaderLength  = 150
	maxFieldLength   = 2000
	maxFields        = 10
	maxContextItems  = 10
	maxButtonLabel   = 75
	maxButtonValue   = 2000
	maxFallbackText  = 4000
)

// mrkdwnEscaper escapes the three characters Slack's mrkdwn treats as
// control characters; built once, since building costs more than using.
var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape escapes the three characters Slack's mrkdwn treats as control
// characters. It is the one escaping path: every piece of user or data text
// goes through it.
func Escape(s string) string { return mrkdwnEscaper.Replace(s) }

// mention mentions a Slack user: the one place that writes Slack's
// mention syntax.
func mention(user string) string { return "<@" + user + ">" }

// ErrorMrkdwn returns err's message as Slack mrkdwn: the domain's text
// escaped, its users (workflows.User, workflows.Users) mentioned. Errors
// that are not the domain's say only that something went wrong.
func ErrorMrkdwn(err error) string {
	var e *workflows.Error
	if !errors.As(err, &e) {
		return Escape(workflows.ErrorMessage(err))
	}
	msg := Escape(e.Message)
	if e.Format != "" {
		args := make([]any, len(e.Args))
		for i, a := range e.Args {
			args[i] = mrkdwnArg(a)
		}
		msg = fmt.Sprintf(e.Format, args...)
	}
	if e.Hint != "" {
		msg += " (" + Escape(e.Hint) + ")"
	}
	return msg
}

// mrkdwnArg is an argument of a domain message as Slack shows it.
func mrkdwnArg(a any) any {
	switch a := a.(type) {
	case workflows.User:
		return mention(string(a))
	case workflows.Users:
		if len(a) == 0 {
			return a.String()
		}
		out := make([]string, len(a))
		for i, u := range a {
			out[i] = mention(u)
		}
		return strings.Join(out, ", ")
	case string:
		return Escape(a)
	case fmt.Stringer:
		return Escape(a.String())
	case error:
		return Escape(a.Error())
	}
	// A named string type (a state, a key) is text too.
	if v := reflect.ValueOf(a); v.Kind() == reflect.String {
		return Escape(v.String())
	}
	return a
}

// Truncate cuts s to at most n characters (Slack counts characters, not
// bytes), marking the cut with "…". It never cuts inside a mention or link
// (<…>) or an escape (&amp;): it cuts before them.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut, runes := 0, 0
	for i := range s {
		if runes == n-1 {
			cut = i
			break
		}
		runes++
	}
	head := s[:cut]
	if open := strings.LastIndexByte(head, '<'); open > strings.LastIndexByte(head, '>') {
		head = head[:open]
	}
	if amp := strings.LastIndexByte(head, '&'); amp > strings.LastIndexByte(head, ';') && len(head)-amp <= len("&#x10FFFF;") {
		head = head[:amp]
	}
	return head + "…"
}

func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, Truncate(text, MaxTextLength), false, false)
}

func plain(text string, max int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, Truncate(text, max), true, false)
}

// Header is a large plain-text title.
func Header(text string) slack.Block { return slack.NewHeaderBlock(plain(text, maxHeaderLength)) }

// Section is a block of mrkdwn text.
func Section(text string) slack.Block { return slack.NewSectionBlock(mrkdwn(text), nil, nil) }

// Fields is a section of up to ten short mrkdwn fields in two columns.
func Fields(texts ...string) slack.Block {
	var fields []*slack.TextBlockObject
	for _, t := range texts[:min(len(texts), maxFields)] {
		fields = append(fields, slack.NewTextBlockObject(slack.MarkdownType, Truncate(t, maxFieldLength), false, false))
	}
	return slack.NewSectionBlock(nil, fields, nil)
}

// Context is a line of small, grey mrkdwn text.
func Context(texts ...string) slack.Block {
	var elems []slack.MixedElement
	for _, t := range texts[:min(len(texts), maxContextItems)] {
		elems = append(elems, mrkdwn(t))
	}
	return slack.NewContextBlock("", elems...)
}

// Divider is a horizontal rule.
func Divider() slack.Block { return slack.NewDividerBlock() }

// Button styles.
const (
	StylePrimary = slack.StylePrimary
	StyleDanger  = slack.StyleDanger
	StyleDefault = slack.StyleDefault
)

// Button is a button whose press sends actionID and value back to us.
func Button(label, actionID, value string, style slack.Style) *slack.ButtonBlockElement {
	b := slack.NewButtonBlockElement(actionID, Truncate(value, maxButtonValue), plain(label, maxButtonLabel))
	b.Style = style
	return b
}

// Actions is a row of buttons. The block id names the row so that
// interactions can tell which message a press came from.
func Actions(blockID string, buttons ...*slack.ButtonBlockElement) slack.Block {
	elems := make([]slack.BlockElement, len(buttons))
	for i, b := range buttons {
		elems[i] = b
	}
	return slack.NewActionBlock(blockID, elems...)
}

// Message is a rendered Slack message: fallback text (notifications,
// screen readers) and blocks.
type Message struct {
	Text   string
	Blocks []slack.Block
}

// Fit returns blocks cut to at most max, replacing what does not fit with a
// line that says so.
func Fit(blocks []slack.Block, max int) []slack.Block {
	if len(blocks) <= max {
		return blocks
	}
	kept := append([]slack.Block(nil), blocks[:max-1]...)
	return append(kept, Context(fmt.Sprintf("_%d more blocks not shown: Slack shows at most %d in one message._", len(blocks)-max+1, max)))
}

// Rendered fits the message to Slack's limits and encodes it for the outbox.
func (m Message) Rendered() (workflows.Rendered, error) {
	blocks := Fit(m.Blocks, MaxMessageBlocks)
	out := workflows.Rendered{Text: Truncate(m.Text, maxFallbackText)}
	if len(blocks) > 0 {
		b, err := json.Marshal(blocks)
		if err != nil {
			return out, fmt.Errorf("render blocks: %w", err)
		}
		out.Blocks = b
	}
	return out, nil
}

// Reply is an ephemeral answer to a command or a button.
func Reply(text string, blocks ...slack.Block) Message {
	if len(blocks) == 0 {
		blocks = []slack.Block{Section(text)}
	}
	return Message{Text: text, Blocks: blocks}
}
