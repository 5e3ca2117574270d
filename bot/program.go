package bot

import (
	"context"

	"github.com/growthbot/growthbot/bot/render"
)

// program shows a team's experiment program this month and quarter, each
// beside the period before, only to its asker.
func (r *Router) program(ctx context.Context, req CommandRequest, c Command) (render.Message, error) {
	team := c.Team
	if team == "" {
		var err error
		if team, err = r.userTeam(ctx, req.UserID); err != nil {
			return render.Message{}, err
		}
	}
	p, err := r.Service.Program(ctx, team, c.Period)
	if err != nil {
		return render.Message{}, err
	}
	return render.Program(p), nil
}
