package bot

import (
	"fmt"
	"strings"
	"text/template"

	"github.com/growthbot/growthbot/templates"
	"github.com/growthbot/growthbot/workflows"
)

// Renderer renders the domain's messages as Block Kit; it implements
// workflows.Renderer. Each message type has its renderer function, all pure;
// their wording comes from the message templates.
type Renderer struct {
	words *template.Template
}

var _ workflows.Renderer = (*Renderer)(nil)

// TemplateFuncs are the functions message templates may call.
var TemplateFuncs = template.FuncMap{
	"lift":    workflows.FormatLift,
	"mention": func(user string) string { return owner(user) },
	"escape":  Escape,
	"date":    slackDate,
}

// NewRenderer returns a renderer whose wording comes from the embedded
// message templates, overridden by the *.tmpl files in dir when set.
func NewRenderer(dir string) (*Renderer, error) {
	t, err := templates.Messages(dir, TemplateFuncs)
	if err != nil {
		return nil, err
	}
	return &Renderer{words: t}, nil
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

// Render renders a domain value for Slack.
func (r *Renderer) Render(v any) (workflows.Rendered, error) {
	switch v := v.(type) {
	case Message:
		return v.Rendered()
	case workflows.ReviewMessage:
		return r.renderReview(v)
	case workflows.ReviewDecided:
		return r.renderReviewDecided(v)
	case workflows.ReviewDecisionNote:
		return r.reviewDecisionNote(v).Rendered()
	case workflows.ThreadHeadline:
		return r.renderHeadline(v).Rendered()
	case workflows.ScorecardMessage:
		return r.renderScorecard(v).Rendered()
	case workflows.GuardrailAlert:
		return r.renderGuardrailAlert(v).Rendered()
	case workflows.SRMAlert:
		return r.renderSRMAlert(v).Rendered()
	case workflows.DataAlert:
		return r.renderDataAlert(v).Rendered()
	case workflows.WeeklyUpdate:
		return r.renderWeekly(v).Rendered()
	case workflows.SourceDown:
		return r.renderSourceDown(v).Rendered()
	case workflows.OverdueReminder:
		return r.renderOverdue(v).Rendered()
	case workflows.OwnerEscalation:
		return r.renderEscalation(v).Rendered()
	case workflows.LiftChart:
		return r.renderLiftChart(v)
	case workflows.IntervalChart:
		return r.renderIntervalChart(v)
	case workflows.DecisionRequest:
		return r.renderDecisionRequest(v).Rendered()
	case workflows.DecisionOutcome:
		return r.renderDecisionOutcome(v).Rendered()
	case workflows.ExperimentReview:
		return r.renderExperimentReview(v).Rendered()
	case workflows.PostMortemAsk:
		return r.renderPostMortemAsk(v).Rendered()
	case workflows.RolloutAlert:
		return r.renderRolloutAlert(v).Rendered()
	}
	return workflows.Rendered{}, fmt.Errorf("bot: no renderer for %T", v)
}
