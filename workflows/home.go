package workflows

import (
	"context"
	"time"
)

// Home is what a user's home in Slack shows: their teams, the running
// experiments of those teams, and the decisions waiting for them.
type Home struct {
	User    string
	Teams   []Team
	Running []Experiment
	// Waiting are the pending decisions of the user's teams, oldest first.
	Waiting  []HomeDecision
	Settings Settings
	Now      time.Time
}

// HomeDecision is a pending decision of one of the user's teams: where
// its request is, and what the user may do about it.
type HomeDecision struct {
	Decision   Decision
	Experiment Experiment
	// Request is the request's message (its channel and ts) and Thread the
	// ts of the thread it is in; empty until they are delivered.
	Request Thread
	Thread  string
	// MayApprove is set for an approver who did not ask; Mine for the
	// one who asked, who may withdraw it.
	MayApprove, Mine bool
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
			for _, e := range exps {
				decisions, err := tx.Decisions(e.Key)
				if err != nil {
					return err
				}
				for _, d := range decisions {
					if d.State != DecisionPending {
						continue
					}
					w := HomeDecision{Decision: d, Experiment: e, Mine: d.Requester == user,
						MayApprove: t.IsApprover(user) && d.Requester != user}
					if m, err := tx.MessageByKey(requestKey(e, d)); err == nil && m.TS != "" {
						w.Request = Thread{Channel: m.Channel, TS: m.TS}
						if p, err := tx.MessageByKey(m.Parent); err == nil {
							w.Thread = p.TS
						}
					} else if err != nil && ErrorCode(err) != ENOTFOUND {
						return err
					}
					h.Waiting = append(h.Waiting, w)
				}
			}
		}
		return nil
	})
	return h, err
}
