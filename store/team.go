package store

import (
	"fmt"

	"github.com/growthbot/growthbot/workflows"
)

const teamColumns = `key, name, channel, lead, approvers, members, timezone, framework, required_approvals,
	target_mrr_growth, target_nps, webhook_url, webhook_secret_env, source, holdout_share, holdout_start, holdout_end, events`

func scanTeam(s scanner) (workflows.Team, error) {
	var t workflows.Team
	err := s.Scan(&t.Key, &t.Name, &t.Channel, &t.Lead, scanJSON(&t.Approvers), scanJSON(&t.Members), &t.Timezone,
		&t.Framework, &t.RequiredApprovals, &t.Targets.MRRGrowth, &t.Targets.NPS, &t.Webhook.URL, &t.Webhook.SecretEnv, &t.Source,
		&t.Holdout.Share, scanTime(&t.Holdout.Start), scanTime(&t.Holdout.End), scanJSON(&t.Events))
	return t, err
}

// Team returns the team with the key.
func (t *Tx) Team(key string) (workflows.Team, error) {
	team, err := scanTeam(t.queryRow(`SELECT `+teamColumns+` FROM teams WHERE key = ?`, key))
	if err != nil {
		return team, notFound(err, "no team %q", key)
	}
	return team, nil
}

// Teams returns every team, by key.
func (t *Tx) Teams() ([]workflows.Team, error) {
	return queryAll(t, "teams", scanTeam, `SELECT `+teamColumns+` FROM teams ORDER BY key`)
}

// PutTeam inserts or replaces a team.
func (t *Tx) PutTeam(team workflows.Team) error {
	approvers, err := jsonArg(team.Approvers)
	if err != nil {
		return err
	}
	members, err := jsonArg(team.Members)
	if err != nil {
		return err
	}
	events, err := jsonArg(team.Events)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO teams (`+teamColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET name = excluded.name, channel = excluded.channel, lead = excluded.lead,
		approvers = excluded.approvers, members = excluded.members, timezone = excluded.timezone,
		framework = excluded.framework, required_approvals = excluded.required_approvals,
		target_mrr_growth = excluded.target_mrr_growth, target_nps = excluded.target_nps,
		webhook_url = excluded.webhook_url, webhook_secret_env = excluded.webhook_secret_env, source = excluded.source,
		holdout_share = excluded.holdout_share, holdout_start = excluded.holdout_start, holdout_end = excluded.holdout_end,
		events = excluded.events`,
		team.Key, team.Name, team.Channel, team.Lead, approvers, members, team.Timezone, team.Framework,
		team.RequiredApprovals, team.Targets.MRRGrowth, team.Targets.NPS, team.Webhook.URL, team.Webhook.SecretEnv, team.Source,
		team.Holdout.Share, timeArg(team.Holdout.Start), timeArg(team.Holdout.End), events)
	if err != nil {
		return fmt.Errorf("store: put team %s: %w", team.Key, err)
	}
	return nil
}
