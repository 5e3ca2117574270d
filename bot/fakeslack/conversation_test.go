package fakeslack_test

import (
	"testing"

	"github.com/slack-go/slack"
)

func TestHistoryMetadata(t *testing.T) {
	fake, api := MustStart(t)
	var posted []string
	for _, key := range []string{"exp-a", "exp-b", "exp-c"} {
		posted = append(posted, MustPost(t, api, "C1", slack.MsgOptionMetadata(slack.SlackMetadata{
			EventType:    "scorecard_posted",
			EventPayload: map[string]any{"experiment": key},
		})))
	}
	MustPost(t, api, "C1", slack.MsgOptionTS(posted[0])) // replies stay out of history

	got, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "C1", IncludeAllMetadata: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 3 {
		t.Fatalf("history = %d messages, want 3", len(got.Messages))
	}
	newest := got.Messages[0]
	if newest.Timestamp != posted[2] || newest.Metadata.EventType != "scorecard_posted" || newest.Metadata.EventPayload["experiment"] != "exp-c" {
		t.Errorf("newest = ts %s metadata %+v, want %s with exp-c", newest.Timestamp, newest.Metadata, posted[2])
	}
	if oldest := got.Messages[2]; oldest.ReplyCount != 1 {
		t.Errorf("oldest reply_count = %d, want 1", oldest.ReplyCount)
	}

	plain, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "C1"})
	if err != nil {
		t.Fatal(err)
	}
	if plain.Messages[0].Metadata.EventType != "" {
		t.Error("metadata returned without include_all_metadata")
	}
	if stored := fake.Messages("C1"); string(stored[0].Metadata.EventPayload) != `{"experiment":"exp-a"}` {
		t.Errorf("stored payload = %s", stored[0].Metadata.EventPayload)
	}
}

func TestHistoryPages(t *testing.T) {
	_, api := MustStart(t)
	var posted []string
	for range 5 {
		posted = append(posted, MustPost(t, api, "C1"))
	}

	var seen []string
	params := &slack.GetConversationHistoryParameters{ChannelID: "C1", Limit: 2, Oldest: posted[0]}
	for pages := 0; ; pages++ {
		page, err := api.GetConversationHistory(params)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Messages {
			seen = append(seen, m.Timestamp)
		}
		if !page.HasMore {
			break
		}
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		params.Cursor = page.ResponseMetaData.NextCursor
	}
	want := []string{posted[4], posted[3], posted[2], posted[1]} // oldest is exclusive
	if len(seen) != len(want) {
		t.Fatalf("seen %v, want %v", seen, want)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Errorf("seen %v, want %v", seen, want)
		}
	}

	if _, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "C1", Cursor: "bogus"}); err == nil || err.Error() != "invalid_cursor" {
		t.Errorf("bad cursor: err = %v, want invalid_cursor", err)
	}
}
