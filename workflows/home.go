package workflows

import (
	"context"
	"time"
)

// Home is what a user's home in Slack shows: their teams, the running
// experiments of those teams, and the decisions waiting for them.
type Home struct {
	User      string
	Teams     []Team
	Running   []Experiment
	Decisions []Decision // pending, that the user may approve and did not ask for
	Settings  Settings
	Now       time.Time
}

// Home returns what the user's home shows, read in one snapshot.
func (s *Service) Home(ctx context.Context, user string) (Home, error) {
	h := Home{User: user, Now: s.Clock.Now()}
	err := s.Store.View(ctx, func(tx Tx) error {
		teams, err := tx.Teams()
		if err != nil {
			return err
		}
		if h.Settings, err = tx.Settings(); err != nil {
			return err
		}
		for _, t := range teams {
			if !t.IsMember(user) {
				continue
			}
			h.Teams = append(h.Teams, t)
			exps, err := tx.Experiments(ExperimentFilter{Team: t.Key, States: []State{StateRunning, StateDecisionPending}})
			if err != nil {
				return err
			}
			h.Running = append(h.Running, exps...)
			if !t.IsApprover(user) {
				continue
			}
			for _, e := range exps {
				decisions, err := tx.Decisions(e.Key)
				if err != nil {
					return err
				}
				for _, d := range decisions {
					if d.State == DecisionPending && d.Requester != user {
						h.Decisions = append(h.Decisions, d)
					}
				}
			}
		}
		return nil
	})
	return h, err
}
