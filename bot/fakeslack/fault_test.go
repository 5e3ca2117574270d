package fakeslack_test

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/slack-go/slack"
)

func TestFaults(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		failure fakeslack.Failure
		down    bool
		check   func(t *testing.T, err error)
		status  int
	}{{
		name:    "rate limited",
		method:  "chat.postMessage",
		failure: fakeslack.Failure{Status: http.StatusTooManyRequests, RetryAfter: 2 * time.Second},
		status:  http.StatusTooManyRequests,
		check: func(t *testing.T, err error) {
			var rl *slack.RateLimitedError
			if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
				t.Errorf("err = %#v, want RateLimitedError after 2s", err)
			}
		},
	}, {
		name:    "server error",
		method:  "*",
		failure: fakeslack.Failure{Status: http.StatusInternalServerError},
		status:  http.StatusInternalServerError,
		check: func(t *testing.T, err error) {
			var sc slack.StatusCodeError
			if !errors.As(err, &sc) || sc.Code != http.StatusInternalServerError {
				t.Errorf("err = %#v, want StatusCodeError 500", err)
			}
		},
	}, {
		name:    "slow beyond the client timeout",
		method:  "chat.postMessage",
		failure: fakeslack.Failure{Delay: time.Minute},
		check: func(t *testing.T, err error) {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Errorf("err = %#v, want a timeout", err)
			}
		},
	}, {
		name:    "error code",
		method:  "chat.postMessage",
		failure: fakeslack.Failure{Error: "channel_not_found"},
		status:  http.StatusOK,
		check: func(t *testing.T, err error) {
			if err == nil || err.Error() != "channel_not_found" {
				t.Errorf("err = %v, want channel_not_found", err)
			}
		},
	}, {
		name: "down",
		down: true,
		check: func(t *testing.T, err error) {
			var se slack.SlackErrorResponse
			if err == nil || errors.As(err, &se) {
				t.Errorf("err = %v, want a connection error", err)
			}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := fakeslack.New()
			t.Cleanup(fake.Close)
			api := slack.New("xoxb-test", slack.OptionAPIURL(fake.APIURL()),
				slack.OptionHTTPClient(&http.Client{Timeout: 100 * time.Millisecond}))
			if tc.down {
				fake.SetDown(true)
			} else {
				fake.FailNext(tc.method, 1, tc.failure)
			}

			_, _, err := api.PostMessage("C1", slack.MsgOptionText("hi", false))
			tc.check(t, err)

			// The failed attempt is on record, with its failure and status.
			if err := fake.WaitFor(WaitCtx(t), func(s *fakeslack.Server) bool { return len(s.Calls()) == 1 }); err != nil {
				t.Fatal(err)
			}
			failed := fake.Calls()[0]
			if failed.Failure == nil || failed.Status != tc.status {
				t.Errorf("recorded attempt: failure %+v, status %d, want status %d", failed.Failure, failed.Status, tc.status)
			}

			fake.SetDown(false)
			if _, _, err := api.PostMessage("C1", slack.MsgOptionText("hi", false)); err != nil {
				t.Errorf("the call after the fault: %v", err)
			}
			if n := len(fake.Messages("C1")); n != 1 {
				t.Errorf("messages = %d, want only the retry's", n)
			}
		})
	}
}

// Faults queue up per method, and "*" reaches the upload URL too.
func TestFailNextQueues(t *testing.T) {
	fake, api := MustStart(t)
	fake.FailNext(fakeslack.MethodUpload, 1, fakeslack.Failure{Status: http.StatusServiceUnavailable})
	fake.FailNext("chat.postMessage", 2, fakeslack.Failure{Error: "fatal_error"})

	if _, err := api.UploadFile(slack.UploadFileParameters{Content: "x", FileSize: 1, Filename: "x.txt"}); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("upload: err = %v, want a 503", err)
	}
	for range 2 {
		if _, _, err := api.PostMessage("C1", slack.MsgOptionText("hi", false)); err == nil || err.Error() != "fatal_error" {
			t.Errorf("post: err = %v, want fatal_error", err)
		}
	}
	MustPost(t, api, "C1")
	if n := len(fake.CallsTo("chat.postMessage")); n != 3 {
		t.Errorf("chat.postMessage calls = %d, want 3", n)
	}
}
