package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

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
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	if res := run(t, "", nil, "apply", "-f", writeFile(t, dir, "g.yaml", string(templates.ExampleConfig())), "--db", db); res.code != 0 {
		t.Fatalf("apply: %+v", res)
	}
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
