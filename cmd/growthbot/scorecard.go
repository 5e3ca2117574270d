package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/workflows"
)

// runScorecard prints an experiment's scorecard, computed now: as text, or
// with --json as one JSON object (workflows.ScorecardJSON).
func runScorecard(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "scorecard")
	dbPath := dbFlag(e, fs)
	asJSON := fs.Bool("json", false, "print one JSON object: units, SRM, guardrails, recommendation, progress and every result")
	// Flags may come before or after the key.
	operands, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(operands) != 1 {
		return usageError("give one experiment key")
	}
	a, err := openApp(ctx, e, *dbPath, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	svc := a.svc
	sc, team, err := svc.Scorecard(ctx, operands[0])
	if err != nil {
		if workflows.ErrorCode(err) == workflows.ENOTFOUND {
			return suggestExperiment(ctx, svc, operands[0], err)
		}
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sc.JSON()); err != nil {
			return fmt.Errorf("scorecard JSON: %w", err)
		}
		return nil
	}
	msg, err := a.words.RenderContent(workflows.ScorecardMessage{Scorecard: sc, Team: team})
	if err != nil {
		return fmt.Errorf("render the scorecard: %w", err)
	}
	text, _ := render.PlainText(msg.Text, msg.Blocks)
	_, err = fmt.Fprint(e.stdout, text)
	return err
}

// suggestExperiment adds the closest experiment key to a not-found error.
func suggestExperiment(ctx context.Context, svc *workflows.Service, key string, err error) error {
	if c := svc.Suggest(ctx, key, ""); c != "" {
		return workflows.Errorf(workflows.ENOTFOUND, "no experiment %q", key).WithHint("did you mean %q?", c)
	}
	return err
}
