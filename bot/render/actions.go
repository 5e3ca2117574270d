package render

// The ids that buttons and modals carry back to growthbot. The renderers put
// them on the messages; the Slack router (package bot) dispatches on them,
// from its one route table.

// Action ids of the decision and rollout buttons. Decision buttons carry
// the decision id, so that a press on an old message finds that decision
// settled and says how; the others carry the experiment key.
const (
	ActionApprove = "decision.approve"
	ActionReject  = "decision.reject"
	// ActionWithdraw is the requester's own Reject: it withdraws.
	ActionWithdraw       = "decision.withdraw"
	ActionRolloutPause   = "rollout.pause"
	ActionRolloutResume  = "rollout.resume"
	DefaultExtensionDays = 7 // the scorecard's Extend 7 days button
)

// Action ids of the scorecard's decision buttons; the value is the
// experiment key.
const (
	ActionShip = "exp.ship"
	// ActionShipVariant ships the variant named in its value, "KEY VARIANT".
	ActionShipVariant = "exp.ship_variant"
	ActionExtend      = "exp.extend"
	ActionKill        = "exp.kill"
)

// Action ids of the review's buttons, and the block that holds them (a
// decision removes that block).
const (
	ActionReviewPost   = "review.post"
	ActionReviewStay   = "review.stay"
	ActionReviewChange = "review.change"
	ReviewActionsBlock = "review-actions"
)

// Ids of the growth review's "Change course" form and of the goal buttons.
const (
	CallbackReviewChange = "review.change"
	// ActionGoalDrop drops the goal whose id is the button's value.
	ActionGoalDrop = "goal.drop"
	// ActionGoalDone marks the goal whose id is the button's value done.
	ActionGoalDone = "goal.done"
	// ChangesBlock is the form's input: what changes.
	ChangesBlock = "changes"
)

// CallbackNewExperiment is the callback id of the /exp new form.
const CallbackNewExperiment = "exp.new"
