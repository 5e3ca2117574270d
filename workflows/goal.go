package workflows

import (
	"fmt"
	"regexp"
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
