package main

import (
	"context"
	"fmt"

	"github.com/growthbot/growthbot/workflows"
)

// pulse runs the daily pulse as the scheduler would and shows what reached
// the team channels: each experiment's thread, its scorecard, its alerts and
// its chart (written to the demo's folder).
func (d *demo) pulse(ctx context.Context) error {
	report, err := d.svc.RunPulse(ctx, workflows.JobOptions{})
	if err != nil {
		return err
	}
	for _, line := range report.Lines {
		fmt.Fprintln(d.e.stdout, line)
	}
	d.slack.console.Settle(ctx)
	fmt.Fprintln(d.e.stdout, "\nThe same pulse again the same day posts nothing (it runs once per team and day):")
	again, err := d.svc.RunPulse(ctx, workflows.JobOptions{})
	if err != nil {
		return err
	}
	for _, line := range again.Lines {
		fmt.Fprintln(d.e.stdout, line)
	}
	d.slack.console.Settle(ctx)
	d.as(ctx, "U0PM", "/exp status one-click-checkout")
	return nil
}
