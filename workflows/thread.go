package workflows

import "context"

// ThreadHeadline is the message that opens an experiment's thread in its
// team's channel. It is updated in place with the latest headline.
type ThreadHeadline struct {
	Experiment Experiment
	Team       Team
	// Scorecard is the latest analysis; nil before the first.
	Scorecard *Scorecard
}

// PayloadKind implements Content.
func (ThreadHeadline) PayloadKind() PayloadKind { return KindThreadHeadline }

// ScorecardMessage is a scorecard as a message: a reply in the experiment's
// thread (with decision buttons), or an answer only its asker sees.
type ScorecardMessage struct {
	Scorecard Scorecard
	Team      Team
	// Buttons adds Ship / Extend 7 days / Kill.
	Buttons bool
}

// PayloadKind implements Content.
func (ScorecardMessage) PayloadKind() PayloadKind { return KindScorecard }

// ensureThread enqueues the message that opens the experiment's thread,
// unless it exists, so that anything can reply in the thread at any time:
// the outbox delivers the parent first.
func (s *Service) ensureThread(tx Tx, e Experiment, team Team, sc *Scorecard) error {
	if _, err := tx.MessageByKey(e.ThreadKey()); err == nil {
		return nil
	} else if ErrorCode(err) != ENOTFOUND {
		return err
	}
	_, err := s.Enqueue(tx, Message{Key: e.ThreadKey(), Op: OpPost, Channel: team.Channel},
		ThreadHeadline{Experiment: e, Team: team, Scorecard: sc})
	return err
}

// EnsureThread opens an experiment's thread if it has none yet.
func (s *Service) EnsureThread(ctx context.Context, key string) error {
	return s.Store.Update(ctx, func(tx Tx) error {
		e, err := tx.Experiment(key)
		if err != nil {
			return err
		}
		team, err := tx.Team(e.Team)
		if err != nil {
			return err
		}
		return s.ensureThread(tx, e, team, nil)
	})
}
