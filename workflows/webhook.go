package workflows

import (
	"encoding/json"
	"fmt"
	"time"
)

// DecisionWebhook is the JSON document a team's webhook receives for each
// state a decision reaches: pending when it waits for approval, then
// applied, rejected or superseded. Receivers tell repeats apart by the
// X-Growthbot-Delivery header, webhook:decision:ID:STATE.
type DecisionWebhook struct {
	ID           int64      `json:"id"`
	Experiment   string     `json:"experiment"`
	Team         string     `json:"team"`
	Action       Action     `json:"action"`
	Variant      string     `json:"variant"`
	Days         int        `json:"days"`
	Reason       string     `json:"reason"`
	Requester    string     `json:"requester"`
	Approvers    []string   `json:"approvers"`
	AutoApproved bool       `json:"auto_approved"`
	State        string     `json:"state"`
	DecidedAt    *time.Time `json:"decided_at"`
	// Recommendation is what the decision framework advised, and why.
	Recommendation struct {
		Action string `json:"action"`
		Reason string `json:"reason"`
	} `json:"recommendation"`
}

// NewDecisionWebhook returns the webhook document of a decision.
func NewDecisionWebhook(team Team, d Decision) DecisionWebhook {
	w := DecisionWebhook{ID: d.ID, Experiment: d.Experiment, Team: team.Key, Action: d.Action, Variant: d.Variant,
		Days: d.Days, Reason: d.Reason, Requester: d.Requester, Approvers: d.Approvers(), AutoApproved: d.AutoApproved,
		State: string(d.State)}
	if !d.ResolvedAt.IsZero() {
		at := d.ResolvedAt.UTC()
		w.DecidedAt = &at
	}
	w.Recommendation.Action, w.Recommendation.Reason = d.Recommendation, d.RecommendationReason
	return w
}

// enqueueWebhook sends the decision, in its current state, to the team's
// webhook when it has one. The outbox signs it and retries it; its key makes
// each state go out once.
func (s *Service) enqueueWebhook(tx Tx, team Team, d Decision) error {
	if team.Webhook.URL == "" {
		return nil
	}
	body, err := json.Marshal(NewDecisionWebhook(team, d))
	if err != nil {
		return fmt.Errorf("webhook of decision %d: %w", d.ID, err)
	}
	m := Message{Key: fmt.Sprintf("webhook:decision:%d:%s", d.ID, d.State), Op: OpWebhook, URL: team.Webhook.URL,
		SecretEnv: team.Webhook.SecretEnv, Body: Rendered{Text: fmt.Sprintf("decision #%d: %s %s", d.ID, d.Title(), d.State), JSON: body}}
	_, err = s.Enqueue(tx, m, nil)
	return err
}
