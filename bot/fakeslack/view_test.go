package fakeslack_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/slack-go/slack"
)

// Modal builds a modal with n dividers and a section of tricky text.
func Modal(n int) slack.ModalViewRequest {
	blocks := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "Stop exp+1 at 100%? &lt;", false, false), nil, nil)}
	for range n {
		blocks = append(blocks, slack.NewDividerBlock())
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           slack.NewTextBlockObject("plain_text", "Stop ✋", false, false),
		Blocks:          slack.Blocks{BlockSet: blocks},
		CallbackID:      "stop_experiment",
		PrivateMetadata: `{"exp":"a+b"}`,
		ExternalID:      "stop-a",
	}
}

func TestModals(t *testing.T) {
	fake, api := MustStart(t)
	opened, err := api.OpenView("trigger-1", Modal(0))
	if err != nil {
		t.Fatal(err)
	}
	if opened.View.ID == "" || opened.View.Hash == "" || opened.View.CallbackID != "stop_experiment" || opened.View.PrivateMetadata != `{"exp":"a+b"}` {
		t.Fatalf("views.open answered %+v", opened.View)
	}
	want, _ := json.Marshal(Modal(0).Blocks)
	if got := fake.Views()[opened.View.ID]; !bytes.Equal(got.Blocks, want) || got.TriggerID != "trigger-1" {
		t.Errorf("stored view = %+v, want blocks %s", got, want)
	}

	updated, err := api.UpdateView(Modal(1), "", opened.View.Hash, opened.View.ID)
	if err != nil {
		t.Fatal(err)
	}
	if updated.View.ID != opened.View.ID || updated.View.Hash == opened.View.Hash {
		t.Errorf("views.update answered id %s hash %s", updated.View.ID, updated.View.Hash)
	}
	if _, err := api.UpdateView(Modal(2), "", opened.View.Hash, opened.View.ID); err == nil || err.Error() != "hash_conflict" {
		t.Errorf("stale hash: err = %v, want hash_conflict", err)
	}
	if _, err := api.UpdateView(Modal(2), "stop-a", "", ""); err != nil {
		t.Errorf("update by external_id: %v", err)
	}
	if _, err := api.UpdateView(Modal(2), "", "", "V404"); err == nil || err.Error() != "not_found" {
		t.Errorf("unknown view: err = %v, want not_found", err)
	}
	got := fake.Views()[opened.View.ID]
	if got.Updates != 2 || got.Method != "views.update" || len(fake.Views()) != 1 {
		t.Errorf("after updates: %+v", got)
	}

	confirm := Modal(0)
	confirm.ExternalID = "confirm-a"
	pushed, err := api.PushView("trigger-2", confirm)
	if err != nil {
		t.Fatal(err)
	}
	if len(fake.Views()) != 2 || fake.Views()[pushed.View.ID].Method != "views.push" {
		t.Errorf("views after push = %+v", fake.Views())
	}
	if _, err := api.OpenView("trigger-3", Modal(0)); err == nil || err.Error() != "duplicate_external_id" {
		t.Errorf("reused external_id: err = %v, want duplicate_external_id", err)
	}
}

func TestModalErrors(t *testing.T) {
	fake, api := MustStart(t)
	if _, err := api.OpenView("trigger", Modal(100)); err == nil || err.Error() != "invalid_arguments" {
		t.Errorf("101 blocks: err = %v, want invalid_arguments", err)
	}
	// slack-go refuses an empty trigger_id itself, so send one by hand.
	got := MustCallRaw(t, fake, "views.open", "application/json", `{"trigger_id":"","view":{"type":"modal","blocks":[]}}`, "xoxb-test")
	if got["error"] != "invalid_trigger_id" {
		t.Errorf("empty trigger_id: answer = %v", got)
	}
}

func TestPublishHome(t *testing.T) {
	fake, api := MustStart(t)
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: Modal(3).Blocks}
	first, err := api.PublishView("U0BOB", home, "")
	if err != nil {
		t.Fatal(err)
	}
	second, err := api.PublishView("U0BOB", home, first.View.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if second.View.ID != first.View.ID {
		t.Errorf("home view ID changed from %s to %s", first.View.ID, second.View.ID)
	}
	want, _ := json.Marshal(home.Blocks)
	if got := fake.HomeViews()["U0BOB"]; !bytes.Equal(got.Blocks, want) || got.Updates != 1 || got.Type != "home" {
		t.Errorf("home view = %+v", got)
	}

	big := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: Modal(100).Blocks}
	if _, err := api.PublishView("U0BOB", big, ""); err == nil || err.Error() != "invalid_arguments" {
		t.Errorf("101 blocks: err = %v, want invalid_arguments", err)
	}
}
