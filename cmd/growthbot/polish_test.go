package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/templates"
)

// hasActions reports whether blocks hold a row of buttons.
func hasActions(blocks json.RawMessage) bool {
	var list []struct {
		Type string `json:"type"`
	}
	json.Unmarshal(blocks, &list)
	for _, b := range list {
		if b.Type == "actions" {
			return true
		}
	}
	return false
}

// buttonIn returns the value of the button with the action id in a reply
// or message, or "".
func buttonIn(raw, actionID string) string {
	var walk func(any) string
	walk = func(x any) string {
		switch x := x.(type) {
		case map[string]any:
			if x["action_id"] == actionID {
				v, _ := x["value"].(string)
				return v
			}
			for _, v := range x {
				if s := walk(v); s != "" {
					return s
				}
			}
		case []any:
			for _, v := range x {
				if s := walk(v); s != "" {
					return s
				}
			}
		}
		return ""
	}
	var doc any
	json.Unmarshal([]byte(raw), &doc)
	return walk(doc)
}

// TestServeExperimentLifeInSlack takes an experiment through growthbot
// serve as its team would: /exp start tells the team's channel once; a
// request's answer offers its requester Withdraw, which withdraws it; and
// once the experiment is killed, the buttons of its earlier scorecard are
// gone (one chat.update), the message saying what was decided.
func TestServeExperimentLifeInSlack(t *testing.T) {
	db := exampleDB(t)
	s := startSlackServe(t, db, nil)
	const key = "one-click-checkout"

	// Started: one post in the team's channel, whatever is typed again.
	if r := s.command("U0ENG1", "C0CHECKOUT", "/exp", "start "+key); !strings.Contains(r, "is running") {
		t.Fatalf("/exp start: %s", r)
	}
	s.wait("the thread that says it started", func(f *fakeslack.Server) bool { return countTexts(f, "C0CHECKOUT", "*Started*") == 1 })
	if r := s.command("U0ENG1", "C0CHECKOUT", "/exp", "start "+key); !strings.Contains(r, "already") && !strings.Contains(r, "running") {
		t.Errorf("a second /exp start: %s", r)
	}
	var threads []fakeslack.Message
	for _, m := range s.fake.Messages("C0CHECKOUT") {
		if strings.HasPrefix(m.Text, "One-click checkout") {
			threads = append(threads, m)
		}
	}
	if len(threads) != 1 {
		t.Fatalf("%d posts about the experiment after /exp start, want its thread: %+v", len(threads), threads)
	}
	thread := threads[0]

	// A scorecard with Ship, Extend and Kill.
	s.command("U0ENG1", "C0CHECKOUT", "/exp", "scorecard "+key)
	var scorecard fakeslack.Message
	s.wait("the scorecard", func(f *fakeslack.Server) bool {
		for _, m := range f.Thread("C0CHECKOUT", thread.TS) {
			if buttonIn(string(m.Blocks), "exp.kill") != "" {
				scorecard = m
				return true
			}
		}
		return false
	})

	// The requester's answer offers Withdraw; pressing it withdraws.
	r := s.command("U0ENG2", "C0CHECKOUT", "/exp", "extend "+key+" 3 -- too early to tell")
	id := buttonIn(r, "decision.withdraw")
	if id == "" || !strings.Contains(r, "Withdraw") {
		t.Fatalf("the answer to a request offers no Withdraw: %s", r)
	}
	s.post("/slack/interactions", fakeslack.BlockActionsBody(fakeslack.Action{ActionID: "decision.withdraw", Value: id,
		UserID: "U0ENG3", ChannelID: "C0CHECKOUT", ResponseURL: s.fake.ResponseURL()}))
	s.wait("a stranger's withdrawal refused", func(f *fakeslack.Server) bool { return responded(f, "can do that") || responded(f, "who asked") })
	s.post("/slack/interactions", fakeslack.BlockActionsBody(fakeslack.Action{ActionID: "decision.withdraw", Value: id,
		UserID: "U0ENG2", ChannelID: "C0CHECKOUT", ResponseURL: s.fake.ResponseURL()}))
	s.wait("the withdrawal", func(f *fakeslack.Server) bool { return responded(f, "You withdrew decision #"+id) })
	s.wait("the request marked withdrawn", func(f *fakeslack.Server) bool { return countTexts(f, "C0CHECKOUT", "Withdrawn: ") == 1 })

	// Killed: the scorecard loses its buttons, once, and says so.
	if r := s.command("U0ENG1", "C0CHECKOUT", "/exp", "kill "+key+" -- errors up"); !strings.Contains(r, "Killed") {
		t.Fatalf("/exp kill: %s", r)
	}
	s.wait("the scorecard without buttons", func(f *fakeslack.Server) bool {
		m, ok := f.Message("C0CHECKOUT", scorecard.TS)
		return ok && m.Edits > 0
	})
	s.wait("the experiment review", func(f *fakeslack.Server) bool {
		return countTexts(f, "C0CHECKOUT", "What we learned") > 0 ||
			countTexts(f, "C0CHECKOUT", "What the data says") > 0
	})
	m, _ := s.fake.Message("C0CHECKOUT", scorecard.TS)
	if m.Edits != 1 || hasActions(m.Blocks) || !strings.Contains(string(m.Blocks), "killed, everyone gets") ||
		!strings.Contains(string(m.Blocks), "Units") && !strings.Contains(string(m.Blocks), "units") {
		t.Errorf("the earlier scorecard after the kill (%d edits):\n%s", m.Edits, m.Blocks)
	}
	for _, m := range s.fake.Thread("C0CHECKOUT", thread.TS) {
		if hasActions(m.Blocks) && buttonIn(string(m.Blocks), "exp.kill") != "" {
			t.Errorf("a message of the killed experiment still offers Kill:\n%s", m.Blocks)
		}
	}
	for _, m := range s.fake.Messages("C0CHECKOUT") {
		if m.TS != thread.TS && strings.Contains(m.Text, "One-click checkout") {
			t.Errorf("another post about the experiment: %s", m.Text)
		}
	}
}

// responded reports whether any response_url answer contains s.
func responded(f *fakeslack.Server, s string) bool {
	for _, r := range f.Responses() {
		if strings.Contains(string(r.Raw), s) {
			return true
		}
	}
	return false
}

// TestServeAppHomeDecisions: through growthbot serve, App Home lists the
// decisions waiting in the user's teams, each with a link to its request
// in the experiment's thread (the workspace's address from auth.test), and
// the buttons the user may press: Approve and Reject for an approver,
// Withdraw for the one who asked, none for another member. Approve pressed
// in App Home settles the decision and the home says so, the decision gone.
func TestServeAppHomeDecisions(t *testing.T) {
	db := exampleDB(t)
	s := startSlackServe(t, db, nil)
	s.wait("auth.test", func(f *fakeslack.Server) bool { return len(f.CallsTo("auth.test")) > 0 })
	const key = "one-click-checkout"
	s.command("U0ENG1", "C0CHECKOUT", "/exp", "start "+key)
	r := s.command("U0ENG2", "C0CHECKOUT", "/exp", "extend "+key+" 7 -- too early to tell")
	id := buttonIn(r, "decision.withdraw")
	if id == "" {
		t.Fatalf("no decision requested: %s", r)
	}
	var request fakeslack.Message
	s.wait("the request in the thread", func(f *fakeslack.Server) bool {
		for _, m := range f.Messages("C0CHECKOUT") {
			for _, reply := range m.Replies {
				if buttonIn(string(reply.Blocks), "decision.approve") == id {
					request = reply
					return true
				}
			}
		}
		return false
	})
	home := func(user string) string {
		t.Helper()
		before := len(s.fake.CallsTo("views.publish"))
		s.post("/slack/events", fakeslack.EventBody(fakeslack.EventCallback{UserID: user, EventID: fmt.Sprintf("EvHome%s%d", user, time.Now().UnixNano())}))
		s.wait("the App Home of "+user, func(f *fakeslack.Server) bool { return len(f.CallsTo("views.publish")) > before })
		return string(s.fake.HomeViews()[user].Blocks)
	}
	link := "https://" + fakeslack.TeamDomain + ".slack.com/archives/C0CHECKOUT/p" + strings.Replace(request.TS, ".", "", 1) +
		"?thread_ts=" + request.ThreadTS + "&amp;cid=C0CHECKOUT|Open the request"
	// The request's ts is recorded a moment after Slack took it.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(strings.ReplaceAll(home("U0PM"), `\u0026`, "&"), "&amp;cid="); {
		if time.Now().After(deadline) {
			t.Fatal("App Home never links to the request")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, tc := range []struct {
		user      string
		buttons   []string
		noButtons []string
	}{
		{"U0PM", []string{"decision.approve", "decision.reject"}, []string{"decision.withdraw"}},
		{"U0ENG2", []string{"decision.withdraw"}, []string{"decision.approve", "decision.reject"}},
		{"U0ENG1", nil, []string{"decision.approve", "decision.reject", "decision.withdraw"}},
	} {
		got := home(tc.user)
		unescaped := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(got)
		if !strings.Contains(unescaped, "Decisions waiting") || !strings.Contains(unescaped, "extend by 7 days") ||
			!strings.Contains(unescaped, link) {
			t.Errorf("%s's App Home lacks the decision or its link %q:\n%s", tc.user, link, unescaped)
		}
		for _, b := range tc.buttons {
			if buttonIn(got, b) != id {
				t.Errorf("%s's App Home has no %s for decision #%s", tc.user, b, id)
			}
		}
		for _, b := range tc.noButtons {
			if buttonIn(got, b) != "" {
				t.Errorf("%s's App Home offers %s", tc.user, b)
			}
		}
	}

	// Approved from App Home: the home says so and lists it no more; the
	// request in the thread shows the outcome.
	before := len(s.fake.CallsTo("views.publish"))
	s.post("/slack/interactions", fakeslack.HomeActionBody(fakeslack.Action{ActionID: "decision.approve", Value: id, UserID: "U0PM",
		BlockID: "home-decision:" + id}))
	s.wait("the App Home after Approve", func(f *fakeslack.Server) bool { return len(f.CallsTo("views.publish")) > before })
	after := string(s.fake.HomeViews()["U0PM"].Blocks)
	if !strings.Contains(after, "You approved decision #"+id) || buttonIn(after, "decision.approve") != "" ||
		!strings.Contains(after, "No decision of your teams is waiting.") {
		t.Errorf("App Home after Approve:\n%s", after)
	}
	s.wait("the request settled in the thread", func(f *fakeslack.Server) bool {
		m, ok := f.Message("C0CHECKOUT", request.TS)
		return ok && m.Edits > 0 && strings.Contains(m.Text, "Extended by 7 days")
	})
}

// exampleDB is a database with the example config applied: its
// experiments are drafts.
func exampleDB(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	if res := run(t, "", nil, "apply", "-f", writeFile(t, dir, "g.yaml", string(templates.ExampleConfig())), "--db", db); res.code != 0 {
		t.Fatalf("apply: %+v", res)
	}
	return db
}
