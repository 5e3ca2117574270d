package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/growthbot/growthbot/bot/httpapi"
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

	api, err := newDemoFlagsAPI(ctx, d)
	if err != nil {
		return err
	}
	etag := api.list(ctx, "")
	api.evaluate(ctx, "guided-onboarding", "user-42", "user-75")
	if err := api.ofrep(ctx, "guided-onboarding", "user-75"); err != nil {
		return err
	}
	d.as(ctx, "U0ENG3", "/exp kill guided-onboarding -- the guided flow breaks checkout")
	fmt.Fprintln(d.e.stdout, "\nThe next poll with the old ETag gets the new state; the one after, nothing:")
	etag = api.list(ctx, etag)
	api.list(ctx, etag)
	api.evaluate(ctx, "guided-onboarding", "user-75")
	return nil
}

// demoFlagsAPI calls the flags API as a service would.
type demoFlagsAPI struct {
	d         *demo
	srv       *httpapi.Server
	exposures *workflows.ExposureLog
}

const demoAPIToken = "demo-api-token"

// newDemoFlagsAPI reads the flags into the app's book; the app's server
// has the flags API, under demoAPIToken.
func newDemoFlagsAPI(ctx context.Context, d *demo) (*demoFlagsAPI, error) {
	if err := d.slack.flags.Refresh(ctx); err != nil {
		return nil, err
	}
	return &demoFlagsAPI{d: d, srv: d.slack.server, exposures: d.slack.exposures}, nil
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

// ofrep evaluates a flag as an OpenFeature SDK does, then shows the
// exposure the evaluation logged.
func (a *demoFlagsAPI) ofrep(ctx context.Context, key, unit string) error {
	body := `{"context":{"targetingKey":"` + unit + `","plan":"pro"}}`
	path := "/ofrep/v1/evaluate/flags/" + key
	header := http.Header{"Authorization": {"Bearer " + demoAPIToken}, "Content-Type": {"application/json"}}
	out := a.d.e.stdout
	fmt.Fprintln(out, "\nAny OpenFeature SDK evaluates the same flag through OFREP (the OFREP provider sends this):")
	fmt.Fprintf(out, "$ curl -H \"Authorization: Bearer $GROWTHBOT_API_TOKEN\" -d '%s' 'localhost:8080%s'\n", body, path)
	count := func() (n int, err error) {
		err = a.d.svc.Store.View(ctx, func(tx workflows.Tx) error {
			n, err = tx.CountExposures(key)
			return err
		})
		return n, err
	}
	before, err := count()
	if err != nil {
		return err
	}
	for range 2 {
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, path, strings.NewReader(body))
		req.Header = header
		rec := httptest.NewRecorder()
		a.srv.ServeHTTP(rec, req)
		fmt.Fprint(out, rec.Body.String())
	}
	if err := a.exposures.Flush(ctx); err != nil {
		return err
	}
	after, err := count()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Both evaluations of %s, in the rollout, logged its exposure once: the experiment's exposed units went from %d to %d.\n", unit, before, after)
	return nil
}

func (a *demoFlagsAPI) evaluate(ctx context.Context, key string, units ...string) {
	for _, unit := range units {
		rec := a.get(ctx, "/api/v1/flags/"+key+"/evaluate?unit_id="+unit, "")
		fmt.Fprint(a.d.e.stdout, rec.Body.String())
	}
}
