package fakeslack_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/slack-go/slack"
)

func TestUploadFileIntoThread(t *testing.T) {
	fake, api := MustStart(t)
	parent := MustPost(t, api, "C1")
	csv := "variant,users\ncontrol,100\ntreatment+1,101\n"

	sum, err := api.UploadFileContext(context.Background(), slack.UploadFileParameters{
		Reader:          strings.NewReader(csv),
		FileSize:        len(csv),
		Filename:        "results.csv",
		Title:           "Results 100%",
		Channel:         "C1",
		ThreadTimestamp: parent,
		InitialComment:  "Full results",
	})
	if err != nil {
		t.Fatal(err)
	}

	files := fake.Files()
	if len(files) != 1 {
		t.Fatalf("files = %d, want 1", len(files))
	}
	f := files[0]
	if f.ID != sum.ID || f.Title != "Results 100%" || f.Name != "results.csv" || !bytes.Equal(f.Bytes, []byte(csv)) ||
		f.Channel != "C1" || f.ThreadTS != parent || f.Length != len(csv) {
		t.Errorf("file = %+v", f)
	}
	thread := fake.Thread("C1", parent)
	if len(thread) != 1 || thread[0].Text != "Full results" || len(thread[0].Files) != 1 || thread[0].Files[0].ID != sum.ID {
		t.Errorf("thread = %+v, want one reply sharing the file", thread)
	}
	// slack-go sends the bytes as a multipart form to the upload URL.
	uploads := fake.CallsTo(fakeslack.MethodUpload)
	if len(uploads) != 1 || !strings.HasPrefix(uploads[0].Header.Get("Content-Type"), "multipart/form-data") {
		t.Errorf("upload calls = %+v", uploads)
	}
}

func TestUploadErrors(t *testing.T) {
	fake, api := MustStart(t)
	_, err := api.CompleteUploadExternalContext(context.Background(), slack.CompleteUploadExternalParameters{
		Files: []slack.FileSummary{{ID: "F404"}}, Channel: "C1",
	})
	if err == nil || err.Error() != "file_not_found" {
		t.Errorf("unknown file: err = %v, want file_not_found", err)
	}
	_, err = api.UploadFile(slack.UploadFileParameters{
		Content: "x", FileSize: 1, Filename: "x.txt", Channel: "C1", ThreadTimestamp: "1700000000.999999",
	})
	if err == nil || !strings.Contains(err.Error(), "thread_not_found") {
		t.Errorf("unknown thread: err = %v, want thread_not_found", err)
	}
	if files := fake.Files(); len(files) != 1 || files[0].Completed || !files[0].Uploaded {
		t.Errorf("files = %+v, want one uploaded but not completed", files)
	}
}
