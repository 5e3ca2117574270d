package render

import (
	"fmt"
	"strings"
	"sync"
	"text/template"

	"github.com/growthbot/growthbot/templates"
	"github.com/growthbot/growthbot/workflows"
)

// Renderer renders the domain's messages as Block Kit. Each kind of payload
// has its renderer function, all pure; their wording comes from the message
// templates, parsed once.
type Renderer struct {
	words    *template.Template
	commands CommandNames // the slash commands' names, for hints
}

// templateFuncs are the functions message templates may call.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"lift":    workflows.FormatLift,
		"mention": func(user string) string { return Owner(user) },
		"escape":  Escape,
		"date":    SlackDate,
		// command is the installed name of "exp" or "growth"; a renderer
		// WithCommands replaces it.
		"command": CommandNames{}.Resolved().Of,
	}
}

// NewRenderer returns a renderer whose wording comes from the embedded
// message templates, overridden by the *.tmpl files in dir when set.
func NewRenderer(dir string) (*Renderer, error) {
	t, err := templates.Messages(dir, templateFuncs())
	if err != nil {
		return nil, err
	}
	return &Renderer{words: t}, nil
}

// WithCommands returns a renderer whose hints ("`/exp status KEY` for a
// scorecard") name the slash commands as they are installed.
func (r *Renderer) WithCommands(names CommandNames) (*Renderer, error) {
	names = names.Resolved()
	words, err := r.words.Clone()
	if err != nil {
		return nil, fmt.Errorf("message templates: %w", err)
	}
	return &Renderer{words: words.Funcs(template.FuncMap{"command": names.Of}), commands: names}, nil
}

// command returns the installed name of "exp" or "growth".
func (r *Renderer) command(root string) string { return r.commands.Resolved().Of(root) }

// Lazy holds the renderer of a Router or Outbox given none: the
// embedded wording, parsed once.
type Lazy struct {
	once  sync.Once
	words *Renderer
	err   error
}

// Get returns given, or else the embedded wording.
func (o *Lazy) Get(given *Renderer) (*Renderer, error) {
	if given != nil {
		return given, nil
	}
	o.once.Do(func() { o.words, o.err = NewRenderer("") })
	return o.words, o.err
}

// text executes the named template; a template an operator broke shows its
// error in place rather than losing the message.
func (r *Renderer) text(name string, data any) string {
	var b strings.Builder
	if err := r.words.ExecuteTemplate(&b, name, data); err != nil {
		return fmt.Sprintf("(template %s: %v)", name, err)
	}
	return strings.TrimSpace(b.String())
}

// Render renders a message's payload for Slack. It is the one place that
// knows every kind of payload (its test ranges over
// workflows.PayloadKinds); each case decodes the domain value and hands it
// to its renderer. Rendering is pure: the same payload gives the same
// message.
func (r *Renderer) Render(p workflows.Payload) (workflows.Rendered, error) {
	switch p.Kind {
	case workflows.KindReview:
		return decoded(p, r.renderReview)
	case workflows.KindReviewDecided:
		return decoded(p, r.renderReviewDecided)
	case workflows.KindReviewDecisionNote:
		return decodedMessage(p, r.reviewDecisionNote)
	case workflows.KindThreadHeadline:
		return decodedMessage(p, r.renderHeadline)
	case workflows.KindScorecard:
		return decodedMessage(p, r.Scorecard)
	case workflows.KindLiftChart:
		return decoded(p, r.renderLiftChart)
	case workflows.KindIntervalChart:
		return decoded(p, r.renderIntervalChart)
	case workflows.KindGuardrailAlert:
		return decodedMessage(p, r.renderGuardrailAlert)
	case workflows.KindSRMAlert:
		return decodedMessage(p, r.renderSRMAlert)
	case workflows.KindDataAlert:
		return decodedMessage(p, r.renderDataAlert)
	case workflows.KindSourceDown:
		return decodedMessage(p, r.renderSourceDown)
	case workflows.KindOverdueReminder:
		return decodedMessage(p, r.renderOverdue)
	case workflows.KindOwnerEscalation:
		return decodedMessage(p, r.renderEscalation)
	case workflows.KindWeeklyUpdate:
		return decodedMessage(p, r.renderWeekly)
	case workflows.KindDecisionRequest:
		return decodedMessage(p, r.renderDecisionRequest)
	case workflows.KindDecisionOutcome:
		return decodedMessage(p, r.renderDecisionOutcome)
	case workflows.KindExperimentReview:
		return decodedMessage(p, r.renderExperimentReview)
	case workflows.KindPostMortemAsk:
		return decodedMessage(p, r.renderPostMortemAsk)
	case workflows.KindRolloutAlert:
		return decodedMessage(p, r.renderRolloutAlert)
	case workflows.KindEarlierDecided:
		return decoded(p, r.renderEarlierDecided)
	}
	return workflows.Rendered{}, fmt.Errorf("bot: no renderer for payload kind %q", p.Kind)
}

// RenderContent renders a domain value as it is rendered when delivered:
// encoded as a payload, decoded and rendered.
func (r *Renderer) RenderContent(c workflows.Content) (workflows.Rendered, error) {
	p, err := workflows.NewPayload(c)
	if err != nil {
		return workflows.Rendered{}, err
	}
	return r.Render(p)
}

// Body returns what delivering m sends: its payload rendered, or, for a
// message enqueued with its body (a reply, a webhook, a row from before
// messages carried data), that body and file. A message pruned after its
// delivery has neither: its body is empty.
func (r *Renderer) Body(m workflows.Message) (workflows.Rendered, error) {
	if m.Payload.Kind == "" || len(m.Payload.Data) == 0 {
		body := m.Body
		if m.File != nil {
			body.Text, body.File, body.Filename = m.Title, m.File, m.Filename
		}
		return body, nil
	}
	return r.Render(m.Payload)
}

func decoded[T workflows.Content](p workflows.Payload, render func(T) (workflows.Rendered, error)) (workflows.Rendered, error) {
	v, err := workflows.DecodePayload[T](p)
	if err != nil {
		return workflows.Rendered{}, err
	}
	return render(v)
}

func decodedMessage[T workflows.Content](p workflows.Payload, render func(T) Message) (workflows.Rendered, error) {
	v, err := workflows.DecodePayload[T](p)
	if err != nil {
		return workflows.Rendered{}, err
	}
	return render(v).Rendered()
}
