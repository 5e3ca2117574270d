package workflows_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

// TestRecordDeliveries: a request seen before is a replay, a new request
// carrying a delivery seen before is a retry, within a batch as across
// batches.
func TestRecordDeliveries(t *testing.T) {
	env := newReviewEnv(t, time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC))
	ctx := context.Background()
	record := func(ds ...workflows.InboundDelivery) []workflows.DeliveryOutcome {
		t.Helper()
		out, err := env.svc.RecordDeliveries(ctx, ds)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	got := record(
		workflows.InboundDelivery{Request: "sig:1", ID: "trigger:A"},
		workflows.InboundDelivery{Request: "sig:1", ID: "trigger:A"}, // the same request again
		workflows.InboundDelivery{Request: "sig:2", ID: "trigger:A"}, // Slack's retry
		workflows.InboundDelivery{Request: "sig:3"},
	)
	want := []workflows.DeliveryOutcome{workflows.DeliveryNew, workflows.DeliveryReplay, workflows.DeliveryRetry, workflows.DeliveryNew}
	if !slices.Equal(got, want) {
		t.Errorf("first batch %v, want %v", got, want)
	}
	got = record(workflows.InboundDelivery{Request: "sig:3"}, workflows.InboundDelivery{Request: "sig:4", ID: "trigger:B"})
	if want := []workflows.DeliveryOutcome{workflows.DeliveryReplay, workflows.DeliveryNew}; !slices.Equal(got, want) {
		t.Errorf("second batch %v, want %v", got, want)
	}
}

// TestReplyIsOnlyForReplies: an adapter's own rendering goes out only as an
// answer to its asker; posts to channels carry the domain's payloads.
func TestReplyIsOnlyForReplies(t *testing.T) {
	env := newReviewEnv(t, time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC))
	ctx := context.Background()
	err := env.svc.Reply(ctx, workflows.Message{Key: "r1", Op: workflows.OpEphemeral, Channel: "C0", User: "U0",
		Body: workflows.Rendered{Text: "only you"}})
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := env.message("r1"); !ok || m.Body.Text != "only you" || m.State != workflows.MessagePending {
		t.Errorf("the reply: %+v", m)
	}
	err = env.svc.Reply(ctx, workflows.Message{Key: "p1", Op: workflows.OpPost, Channel: "C0", Body: workflows.Rendered{Text: "all"}})
	if workflows.ErrorCode(err) != workflows.EINTERNAL {
		t.Errorf("a post as a reply: %v", err)
	}
	if _, ok := env.message("p1"); ok {
		t.Error("a post went into the outbox as a reply")
	}
}
