package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/growthbot/growthbot/bot"
	"github.com/growthbot/growthbot/workflows"
)

// decide shows decisions in threads: a ship the data settles applies at
// once; one it does not waits for an approver other than the requester; a
// double click and an outsider are told why nothing happens.
func (d *demo) decide(ctx context.Context) error {
	d.slack.console.Channel = "C0CHECKOUT"
	d.as(ctx, "U0ENG1", "/exp ship one-click-checkout -- wins on purchase, errors flat")
	if pending, err := d.pendingDecision(ctx, "one-click-checkout"); err != nil {
		return err
	} else if pending {
		d.as(ctx, "U0PM", "Approve")
	}
	d.as(ctx, "U0ENG2", "/exp ship free-shipping-banner -- revenue is up a little")
	d.as(ctx, "U0STRANGER", "Approve")
	d.as(ctx, "U0ENG2", "Approve")
	d.as(ctx, "U0PM", "Approve")
	fmt.Fprintln(d.e.stdout, "\nA double click on the old button changes nothing and says what happened:")
	d.as(ctx, "U0PM", "Approve")
	return nil
}

// pendingDecision reports whether the experiment waits for an approval.
func (d *demo) pendingDecision(ctx context.Context, key string) (bool, error) {
	e, err := d.experiment(ctx, key)
	return e.State == workflows.StateDecisionPending, err
}

func (d *demo) experiment(ctx context.Context, key string) (workflows.Experiment, error) {
	var e workflows.Experiment
	err := d.svc.Store.View(ctx, func(tx workflows.Tx) error {
		var err error
		e, err = tx.Experiment(key)
		return err
	})
	return e, err
}

// rollouts runs the rollouts job, which halts guided onboarding on its
// guardrail regression, shows what services see through the flags API,
// then pulls the kill switch, which services see at their next poll.
func (d *demo) rollouts(ctx context.Context) error {
	d.slack.console.Channel = "C0ONBOARD"
	fmt.Fprintln(d.e.stdout, "growthbot jobs run rollouts (the scheduler runs it every 15 minutes):")
	report, err := d.svc.RunRollouts(ctx, workflows.JobOptions{})
	if err != nil {
		return err
	}
	for _, line := range report.Lines {
		fmt.Fprintln(d.e.stdout, "  "+line)
	}
	d.slack.console.Settle(ctx)
	d.as(ctx, "U0ENG3", "/exp rollout guided-onboarding advance")

	api := newDemoFlagsAPI(d)
	etag := api.list(ctx, "")
	api.evaluate(ctx, "guided-onboarding", "user-42", "user-75")
	d.as(ctx, "U0ENG3", "/exp kill guided-onboarding -- the guided flow breaks checkout")
	fmt.Fprintln(d.e.stdout, "\nThe next poll with the old ETag gets the new state; the one after, nothing:")
	etag = api.list(ctx, etag)
	api.list(ctx, etag)
	api.evaluate(ctx, "guided-onboarding", "user-75")
	return nil
}

// demoFlagsAPI calls the flags API as a service would.
type demoFlagsAPI struct {
	d   *demo
	srv *bot.Server
}

const demoAPIToken = "demo-api-token"

func newDemoFlagsAPI(d *demo) *demoFlagsAPI {
	srv := bot.NewServer(nil, d.db.Ping)
	srv.MountFlags(d.svc, bot.APIConfig{Token: demoAPIToken})
	return &demoFlagsAPI{d: d, srv: srv}
}

func (a *demoFlagsAPI) get(ctx context.Context, path, etag string) *httptest.ResponseRecorder {
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+demoAPIToken)
	curl := `curl -H "Authorization: Bearer $GROWTHBOT_API_TOKEN"`
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
		curl += fmt.Sprintf(" -H 'If-None-Match: %s'", etag)
	}
	fmt.Fprintf(a.d.e.stdout, "\n$ %s 'localhost:8080%s'\n", curl, path)
	rec := httptest.NewRecorder()
	a.srv.ServeHTTP(rec, req)
	return rec
}

// list prints the flags, a flag a line, unless they did not change since
// etag, and returns the current ETag.
func (a *demoFlagsAPI) list(ctx context.Context, etag string) string {
	rec := a.get(ctx, "/api/v1/flags", etag)
	out := a.d.e.stdout
	fmt.Fprintf(out, "HTTP %d %s, ETag: %s\n", rec.Code, http.StatusText(rec.Code), rec.Header().Get("ETag"))
	var doc struct {
		Flags []json.RawMessage `json:"flags"`
	}
	if rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &doc) == nil {
		fmt.Fprintln(out, `{"flags": [`)
		for i, f := range doc.Flags {
			sep := ","
			if i == len(doc.Flags)-1 {
				sep = ""
			}
			fmt.Fprintf(out, "  %s%s\n", f, sep)
		}
		fmt.Fprintln(out, "]}")
	}
	return rec.Header().Get("ETag")
}

func (a *demoFlagsAPI) evaluate(ctx context.Context, key string, units ...string) {
	for _, unit := range units {
		rec := a.get(ctx, "/api/v1/flags/"+key+"/evaluate?unit_id="+unit, "")
		fmt.Fprint(a.d.e.stdout, rec.Body.String())
	}
}
