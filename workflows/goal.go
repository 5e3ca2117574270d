package workflows

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// GoalStatus is where a quarterly goal stands.
type GoalStatus string

// Goal statuses.
const (
	GoalInProgress GoalStatus = "in_progress"
	GoalDone       GoalStatus = "done"
	GoalDropped    GoalStatus = "dropped"
)

// Goal is a thing a team means to build this quarter, with an owner.
type Goal struct {
	ID        int64
	Team      string
	Quarter   string // YYYY-Qn
	Title     string
	Owner     string
	Status    GoalStatus
	CreatedAt time.Time
	UpdatedAt time.Time
}

var quarterPattern = regexp.MustCompile(`^(\d{4})-Q([1-4])$`)

// Quarter returns the quarter t falls in, as YYYY-Qn.
func Quarter(t time.Time) string {
	return fmt.Sprintf("%d-Q%d", t.Year(), (int(t.Month())-1)/3+1)
}

// ValidQuarter reports whether q reads YYYY-Qn.
func ValidQuarter(q string) bool { return quarterPattern.MatchString(q) }

// AddGoal adds a goal for the team's quarter on behalf of actor, a member of
// the team. The owner defaults to the actor and the quarter to the current
// one in the team's time zone. Errors: ENOTFOUND for an unknown team,
// EFORBIDDEN for an outsider, EINVALID for a bad quarter or title.
func (s *Service) AddGoal(ctx context.Context, actor, team, title, owner, quarter string) (Goal, error) {
	var g Goal
	err := s.Store.Update(ctx, func(tx Tx) error {
		t, err := tx.Team(team)
		if err != nil {
			return err
		}
		if err := mayAct(actor, t); err != nil {
			return err
		}
		title = strings.TrimSpace(title)
		if title == "" || len(title) > 200 {
			return Errorf(EINVALID, "a goal needs a title of 1 to 200 characters")
		}
		if owner == "" {
			owner = actor
		}
		if quarter == "" {
			quarter = Quarter(tx.Now().In(t.Location()))
		}
		if !ValidQuarter(quarter) {
			return Errorf(EINVALID, "quarter %q: use YYYY-Qn, like 2026-Q4", quarter)
		}
		now := tx.Now()
		g, err = tx.CreateGoal(Goal{Team: t.Key, Quarter: quarter, Title: title, Owner: owner, Status: GoalInProgress, CreatedAt: now, UpdatedAt: now})
		if err != nil {
			return err
		}
		return audit(tx, actor, "goal.add", fmt.Sprintf("goal:%d", g.ID), "", nil, g)
	})
	return g, err
}

// GoalsListed bounds the goals a listing reads. A Slack message shows
// fewer (about 25 with their buttons, then as many lines as 3,000
// characters hold), and a team that piles up hundreds of goals in a
// quarter should not make every listing read them all.
const GoalsListed = 100

// GoalList is a team's goals for a quarter as a listing shows them: the
// first GoalsListed in the order they were added, and how many there are
// and are done in all.
type GoalList struct {
	Team        Team
	Quarter     string
	Goals       []Goal
	Total, Done int
}

// Goals lists a team's goals for a quarter; an empty quarter means the
// current one. Errors: ENOTFOUND for an unknown team.
func (s *Service) Goals(ctx context.Context, team, quarter string) (GoalList, error) {
	var list GoalList
	err := s.Store.View(ctx, func(tx Tx) error {
		var err error
		if list.Team, err = tx.Team(team); err != nil {
			return err
		}
		if list.Quarter = quarter; quarter == "" {
			list.Quarter = Quarter(tx.Now().In(list.Team.Location()))
		}
		list.Goals, list.Total, list.Done, err = tx.GoalList(team, list.Quarter, GoalsListed)
		return err
	})
	return list, err
}

// SetGoalStatus marks a goal done or dropped on behalf of a member of its
// team. Errors: ENOTFOUND, EFORBIDDEN, ECONFLICT when the goal already has
// that status, EINVALID for a status other than done or dropped.
func (s *Service) SetGoalStatus(ctx context.Context, actor string, id int64, status GoalStatus) (Goal, error) {
	var g Goal
	err := s.Store.Update(ctx, func(tx Tx) error {
		if status != GoalDone && status != GoalDropped && status != GoalInProgress {
			return Errorf(EINVALID, "a goal is in_progress, done or dropped, not %q", status)
		}
		var err error
		if g, err = tx.Goal(id); err != nil {
			return err
		}
		t, err := tx.Team(g.Team)
		if err != nil {
			return err
		}
		if err := mayAct(actor, t); err != nil {
			return err
		}
		if g.Status == status {
			return Errorf(ECONFLICT, "goal #%d is already %s", id, describeGoalStatus(status))
		}
		before := g
		g.Status, g.UpdatedAt = status, tx.Now()
		if err := tx.PutGoal(g); err != nil {
			return err
		}
		return audit(tx, actor, "goal."+string(status), fmt.Sprintf("goal:%d", id), "", before, g)
	})
	return g, err
}

func describeGoalStatus(s GoalStatus) string {
	if s == GoalInProgress {
		return "in progress"
	}
	return string(s)
}
