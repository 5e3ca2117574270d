package bot

import (
	"fmt"

	"github.com/growthbot/growthbot/workflows"
)

// Renderer renders the domain's messages as Block Kit; it implements
// workflows.Renderer. Each message type has its renderer function, all pure.
type Renderer struct{}

var _ workflows.Renderer = Renderer{}

// Render renders a domain value for Slack.
func (Renderer) Render(v any) (workflows.Rendered, error) {
	switch v := v.(type) {
	case Message:
		return v.Rendered()
	}
	return workflows.Rendered{}, fmt.Errorf("bot: no renderer for %T", v)
}
