package bot_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/bot"
	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/bot/httpapi"
	"github.com/growthbot/growthbot/bot/internal/fixture"
	"github.com/growthbot/growthbot/bot/mock"
	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/workflows"
)

// Handler tests: the router against a fake of the domain (bot/mock), with
// no database. Each case sets only the use cases it expects to be called;
// any other call panics and names itself.

// recordingViews is a fake of bot.Views that keeps what it published.
type recordingViews struct {
	opened    []slack.ModalViewRequest
	published map[string]slack.HomeTabViewRequest
}

func (v *recordingViews) OpenView(ctx context.Context, triggerID string, view slack.ModalViewRequest) error {
	v.opened = append(v.opened, view)
	return nil
}

func (v *recordingViews) PublishView(ctx context.Context, userID string, view slack.HomeTabViewRequest) error {
	if v.published == nil {
		v.published = map[string]slack.HomeTabViewRequest{}
	}
	v.published[userID] = view
	return nil
}

var _ bot.Views = (*recordingViews)(nil)

func fakeRouter(d *mock.Domain) *bot.Router {
	return &bot.Router{Service: d, Views: &recordingViews{}, Log: discardLog()}
}

func command(r *bot.Router, user, cmd, text string) string {
	msg := r.Command(context.Background(), bot.CommandRequest{Command: cmd, Text: text, UserID: user, ChannelID: "C0CHECKOUT"})
	body, _ := msg.Rendered()
	return body.Text
}

func TestHandlersCallTheDomain(t *testing.T) {
	now := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	running := fixture.Experiments()[0]
	tests := []struct {
		name    string
		user    string
		command string
		text    string
		domain  func(t *testing.T) *mock.Domain
		want    []string
	}{
		{"list asks for the team's experiments, named, at the domain's time", "U0ENG1", "/exp", "list checkout",
			func(t *testing.T) *mock.Domain {
				return &mock.Domain{
					ListExperimentsFn: func(ctx context.Context, team string) ([]workflows.Experiment, error) {
						if team != "checkout" {
							t.Errorf("ListExperiments(%q)", team)
						}
						return []workflows.Experiment{running}, nil
					},
					TeamsFn: func(ctx context.Context) ([]workflows.Team, error) {
						return []workflows.Team{fixture.TeamCheckout}, nil
					},
					NowFn: func() time.Time { return now },
				}
			},
			[]string{"Experiments of Checkout: 1 running"}},
		{"start acts as the user who typed it", "U0ENG2", "/exp", "start one-click-checkout",
			func(t *testing.T) *mock.Domain {
				return &mock.Domain{StartExperimentFn: func(ctx context.Context, actor, key string) (workflows.Experiment, error) {
					if actor != "U0ENG2" || key != "one-click-checkout" {
						t.Errorf("StartExperiment(%q, %q)", actor, key)
					}
					e := running
					e.Name, e.PlannedDays = "One-click <checkout>", 14
					return e, nil
				}}
			},
			[]string{":rocket: *One-click &lt;checkout&gt;* is running: day 1 of 14"}},
		{"goals without a team are the user's team's", "U0ENG1", "/growth", "goals",
			func(t *testing.T) *mock.Domain {
				return &mock.Domain{
					DefaultTeamFn: func(ctx context.Context, user string) (string, error) {
						if user != "U0ENG1" {
							t.Errorf("DefaultTeam(%q)", user)
						}
						return "checkout", nil
					},
					GoalsFn: func(ctx context.Context, team, quarter string) (workflows.GoalList, error) {
						if team != "checkout" {
							t.Errorf("Goals(%q)", team)
						}
						return workflows.GoalList{Team: fixture.TeamCheckout, Quarter: "2026-Q4"}, nil
					},
					NowFn: func() time.Time { return now },
				}
			},
			[]string{"Checkout goals for 2026-Q4"}},
		{"a refusal names people as Slack mentions", "U0X", "/exp", "start one-click-checkout",
			func(t *testing.T) *mock.Domain {
				return &mock.Domain{StartExperimentFn: func(ctx context.Context, actor, key string) (workflows.Experiment, error) {
					return workflows.Experiment{}, workflows.Errorf(workflows.EFORBIDDEN, "only %s can, and %s (%s) is not one",
						workflows.User("U0LEAD"), workflows.User(actor), "<b>")
				}}
			},
			[]string{":no_entry: only <@U0LEAD> can, and <@U0X> (&lt;b&gt;) is not one"}},
		{"an unknown key gets the domain's suggestion", "U0ENG1", "/exp", "history one-clik-checkout",
			func(t *testing.T) *mock.Domain {
				return &mock.Domain{
					HistoryFn: func(ctx context.Context, key string) (workflows.Experiment, []workflows.AuditEntry, error) {
						return workflows.Experiment{}, nil, workflows.Errorf(workflows.ENOTFOUND, "no experiment %q", key)
					},
					SuggestFn: func(ctx context.Context, key, team string) string {
						if key != "one-clik-checkout" || team != "" {
							t.Errorf("Suggest(%q, %q)", key, team)
						}
						return "one-click-checkout"
					},
				}
			},
			[]string{`:mag: no experiment "one-clik-checkout". Did you mean ` + "`one-click-checkout`?"}},
		{"an internal error is logged, not shown", "U0ENG1", "/exp", "list",
			func(t *testing.T) *mock.Domain {
				return &mock.Domain{ListExperimentsFn: func(ctx context.Context, team string) ([]workflows.Experiment, error) {
					return nil, errors.New("disk I/O error at /var/lib/secret.db")
				}}
			},
			[]string{":x: Something went wrong on our side; it has been logged (reference `"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			r := fakeRouter(tc.domain(t))
			r.Log = slog.New(slog.NewTextHandler(&logs, nil))
			got := command(r, tc.user, tc.command, tc.text)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("reply %q lacks %q", got, w)
				}
			}
			if strings.Contains(got, "secret.db") || (strings.Contains(tc.name, "internal") && !strings.Contains(logs.String(), "secret.db")) {
				t.Errorf("reply %q, log %q: the detail belongs in the log only", got, logs.String())
			}
		})
	}
}

// TestHomeComesFromTheDomain: the App Home shows what the domain's Home
// use case returns, with the channel problems of the user's teams.
func TestHomeComesFromTheDomain(t *testing.T) {
	views := &recordingViews{}
	d := &mock.Domain{HomeFn: func(ctx context.Context, user string) (workflows.Home, error) {
		return workflows.Home{User: user, Teams: []workflows.Team{fixture.TeamCheckout}, Running: fixture.Experiments()[:1],
			Now: time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)}, nil
	}}
	r := &bot.Router{Service: d, Views: views, Log: discardLog(),
		ChannelProblems: func() map[string]string { return map[string]string{"C0CHECKOUT": "invite @growthbot to #checkout"} }}
	if err := r.HomeOpened(context.Background(), "U0PM"); err != nil {
		t.Fatal(err)
	}
	view, ok := views.published["U0PM"]
	if !ok {
		t.Fatal("no home published")
	}
	blocks, _ := render.Message{Blocks: view.Blocks.BlockSet}.Rendered()
	text, _ := render.PlainText("", blocks.Blocks)
	for _, want := range []string{"Checkout", fixture.Experiments()[0].Name, "invite @growthbot to #checkout"} {
		if !strings.Contains(text, want) {
			t.Errorf("home lacks %q:\n%s", want, text)
		}
	}
}

// TestButtonRepliesGoThroughTheDomain: the answer to a button is handed to
// the domain's Reply use case (the outbox), to the presser only.
func TestButtonRepliesGoThroughTheDomain(t *testing.T) {
	var replies []workflows.Message
	d := &mock.Domain{
		SetGoalStatusFn: func(ctx context.Context, actor string, id int64, status workflows.GoalStatus) (workflows.Goal, error) {
			if actor != "U0ENG1" || id != 7 || status != workflows.GoalDone {
				t.Errorf("SetGoalStatus(%q, %d, %q)", actor, id, status)
			}
			return workflows.Goal{ID: id, Title: "Ship <it>", Status: status}, nil
		},
		ReplyFn: func(ctx context.Context, m workflows.Message) error {
			replies = append(replies, m)
			return nil
		},
	}
	r := fakeRouter(d)
	cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, TriggerID: "T1",
		User: slack.User{ID: "U0ENG1"}, Channel: slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: "C0CHECKOUT"}}},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: "goal.done", Value: "7", ActionTs: "1.2"}}}}
	r.Interaction(context.Background(), cb)
	if len(replies) != 1 {
		t.Fatalf("%d replies, want 1", len(replies))
	}
	m := replies[0]
	if m.Op != workflows.OpEphemeral || m.Channel != "C0CHECKOUT" || m.User != "U0ENG1" || m.Key == "" ||
		!strings.Contains(m.Body.Text, "Goal #7, *Ship &lt;it&gt;*, is done") {
		t.Errorf("reply %+v", m)
	}
}

// TestSlackRecordsEachRequestThroughTheDomain: a signed command is applied
// only when the domain recorded it as new; a replay is refused, a retry
// ignored, and when it cannot be recorded nothing is done and the user is
// told so.
func TestSlackRecordsEachRequestThroughTheDomain(t *testing.T) {
	tests := []struct {
		name    string
		outcome workflows.DeliveryOutcome
		fail    error
		status  int
		applied bool
		want    string
	}{
		{"new", workflows.DeliveryNew, nil, http.StatusOK, true, "Experiments"},
		{"replay", workflows.DeliveryReplay, nil, http.StatusUnauthorized, false, "replayed request"},
		{"retry", workflows.DeliveryRetry, nil, http.StatusOK, false, ""},
		{"cannot record", 0, errors.New("database is read-only"), http.StatusOK, false, "cannot write to its database right now"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var recorded []workflows.InboundDelivery
			applied := false
			d := &mock.Domain{
				RecordDeliveriesFn: func(ctx context.Context, ds []workflows.InboundDelivery) ([]workflows.DeliveryOutcome, error) {
					recorded = append(recorded, ds...)
					out := make([]workflows.DeliveryOutcome, len(ds))
					for i := range out {
						out[i] = tc.outcome
					}
					return out, tc.fail
				},
				ListExperimentsFn: func(ctx context.Context, team string) ([]workflows.Experiment, error) {
					applied = true
					return nil, nil
				},
				TeamsFn: func(ctx context.Context) ([]workflows.Team, error) { return nil, nil },
				NowFn:   time.Now,
			}
			srv := httpapi.NewServer(nil, func(context.Context) error { return nil })
			(&bot.Slack{Router: fakeRouter(d), SigningSecret: secret, Log: discardLog()}).Mount(srv)
			server := httptest.NewServer(srv)
			defer server.Close()
			body := fakeslack.CommandBody(fakeslack.Command{Command: "/exp", Text: "list", UserID: "U0ENG1", TriggerID: "T42"})
			req, err := http.NewRequest(http.MethodPost, server.URL+"/slack/commands", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			fakeslack.Sign(req, body, secret, time.Now())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || applied != tc.applied || !strings.Contains(string(raw), tc.want) {
				t.Errorf("status %d, applied %v, body %s; want %d, %v, %q", resp.StatusCode, applied, raw, tc.status, tc.applied, tc.want)
			}
			if len(recorded) != 1 || !strings.HasPrefix(recorded[0].Request, "request:") || recorded[0].ID != "command:T42" {
				t.Errorf("recorded %+v, want the request and its trigger", recorded)
			}
		})
	}
}
