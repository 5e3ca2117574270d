package workflows

import "time"

// Action is what a decision does to an experiment.
type Action string

// Actions.
const (
	ActionShip   Action = "ship"
	ActionExtend Action = "extend"
	ActionKill   Action = "kill"
)

// DecisionState is where a decision request is.
type DecisionState string

// Decision states. A decision is pending until enough approvers approve it
// (applied), one rejects it (rejected), or a kill or another decision
// overtakes it (superseded).
const (
	DecisionPending    DecisionState = "pending"
	DecisionApplied    DecisionState = "applied"
	DecisionRejected   DecisionState = "rejected"
	DecisionSuperseded DecisionState = "superseded"
)

// Approval is one approver's yes.
type Approval struct {
	User string
	At   time.Time
}

// Decision is a request to ship, extend or kill an experiment, and what
// became of it.
type Decision struct {
	ID         int64
	Experiment string
	Action     Action
	Variant    string // ship: the winning variant
	Days       int    // extend: how many days
	Reason     string
	Requester  string
	// Recommendation is what the decision framework said when the decision
	// was requested, and why.
	Recommendation       string
	RecommendationReason string
	// AutoApproved is set when the action matched the recommendation and no
	// guardrail failed, so no approval was needed.
	AutoApproved      bool
	RequiredApprovals int
	Approvals         []Approval
	RejectedBy        string
	State             DecisionState
	CreatedAt         time.Time
	ResolvedAt        time.Time
	// Message is the Slack message that shows the request.
	Message Thread
}

// Approvers returns the ids of the users who approved the decision.
func (d Decision) Approvers() []string {
	users := make([]string, len(d.Approvals))
	for i, a := range d.Approvals {
		users[i] = a.User
	}
	return users
}
