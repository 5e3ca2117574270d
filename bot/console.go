package bot

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
)

// Console runs growthbot in a terminal, like Hubot's shell adapter: you type
// slash commands as a user and see what the bot would post. It goes through
// the real path: signed requests to the Slack handlers, the router, the
// domain, the outbox and a local fake of Slack's Web API. It needs no
// tokens and no network.
type Console struct {
	Handler http.Handler // the server with the Slack endpoints mounted
	Secret  string       // the signing secret the handler checks
	Router  *Router
	Outbox  *Outbox
	Fake    *fakeslack.Server
	User    string // who types
	Channel string // where they type
	// Files is a folder where uploaded pictures are written, or "".
	Files string
	Out   io.Writer

	cursor  int           // calls of the fake already shown
	buttons []shownButton // buttons on screen, newest last
}

type shownButton struct {
	PlainButton
	channel, ts string
}

// Run reads lines from in until it ends or ":quit".
func (c *Console) Run(ctx context.Context, in io.Reader) error {
	fmt.Fprintf(c.Out, "growthbot console: type /exp help, /growth help, a button's label to press it, or :help.\n")
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for {
		fmt.Fprintf(c.Out, "\n%s> ", c.User)
		if !sc.Scan() {
			fmt.Fprintln(c.Out)
			return sc.Err()
		}
		if quit := c.Exec(ctx, sc.Text()); quit {
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// Exec runs one line of input and prints what happened; it reports whether
// the line asked to quit.
func (c *Console) Exec(ctx context.Context, line string) bool {
	line = strings.TrimSpace(line)
	switch {
	case line == "":
	case line == ":quit" || line == ":q" || line == ":exit":
		return true
	case line == ":help":
		fmt.Fprintln(c.Out, "  /exp ... and /growth ...   run a slash command as the current user\n"+
			"  LABEL                      press the button with that label (the newest one shown)\n"+
			"  :user U0PM                 act as another Slack user\n"+
			"  :channel C0CHECKOUT        type in another channel\n"+
			"  :quit                      leave")
	case strings.HasPrefix(line, ":user "):
		c.User = strings.TrimSpace(strings.TrimPrefix(line, ":user "))
		fmt.Fprintf(c.Out, "  now acting as %s\n", c.User)
	case strings.HasPrefix(line, ":channel "):
		c.Channel = strings.TrimSpace(strings.TrimPrefix(line, ":channel "))
		fmt.Fprintf(c.Out, "  now typing in %s\n", c.Channel)
	case strings.HasPrefix(line, "/"):
		command, text, _ := strings.Cut(line, " ")
		c.post(ctx, "/slack/commands", fakeslack.CommandBody(fakeslack.Command{Command: command, Text: text,
			UserID: c.User, ChannelID: c.Channel, ResponseURL: c.Fake.ResponseURL()}))
	default:
		b, ok := c.button(line)
		if !ok {
			fmt.Fprintf(c.Out, "  ? %q is neither a slash command nor the label of a button on screen (:help)\n", line)
			return false
		}
		channel := b.channel
		if channel == "" {
			channel = c.Channel
		}
		c.post(ctx, "/slack/interactions", fakeslack.BlockActionsBody(fakeslack.Action{ActionID: b.ActionID, Value: b.Value,
			BlockID: b.BlockID, UserID: c.User, ChannelID: channel, MessageTS: b.ts, ResponseURL: c.Fake.ResponseURL()}))
	}
	return false
}

// button finds the newest button on screen whose label matches.
func (c *Console) button(label string) (shownButton, bool) {
	for i := len(c.buttons) - 1; i >= 0; i-- {
		if strings.EqualFold(c.buttons[i].Label, label) {
			return c.buttons[i], true
		}
	}
	return shownButton{}, false
}

// post sends a signed request to the handler as Slack would, prints the
// direct answer, lets the outbox deliver, and prints what reached Slack.
func (c *Console) post(ctx context.Context, path string, body []byte) {
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, path, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	fakeslack.Sign(req, body, c.Secret, time.Now())
	rec := httptest.NewRecorder()
	c.Handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		fmt.Fprintf(c.Out, "  ! HTTP %d: %s\n", rec.Code, strings.TrimSpace(rec.Body.String()))
	} else if rec.Body.Len() > 0 {
		var m struct {
			Text   string          `json:"text"`
			Blocks json.RawMessage `json:"blocks"`
			Action string          `json:"response_action"`
			Errors map[string]any  `json:"errors"`
		}
		json.Unmarshal(rec.Body.Bytes(), &m)
		if m.Action == "errors" {
			fmt.Fprintf(c.Out, "  form errors: %v\n", m.Errors)
		} else {
			c.show("only you see", "", "", m.Text, m.Blocks)
		}
	}
	c.Settle(ctx)
}

// Settle waits for work left running after a request, delivers the outbox
// and prints what reached Slack since the last call.
func (c *Console) Settle(ctx context.Context) {
	c.Router.Wait()
	for range 20 {
		n, err := c.Outbox.DeliverDue(ctx)
		if err != nil {
			fmt.Fprintf(c.Out, "  ! outbox: %v\n", err)
			break
		}
		if n == 0 {
			break
		}
	}
	c.ShowNew()
}

// ShowNew prints every call that reached the fake Slack since the last time.
func (c *Console) ShowNew() {
	calls := c.Fake.Calls()
	for _, call := range calls[c.cursor:] {
		if call.Error != "" || call.Status != http.StatusOK {
			fmt.Fprintf(c.Out, "  ! Slack answered %s to %s: %s\n", http.StatusText(call.Status), call.Method, call.Error)
			continue
		}
		p := call.Params
		switch call.Method {
		case "chat.postMessage":
			where := "#" + p.Get("channel")
			if p.Get("thread_ts") != "" {
				where += " (in thread)"
			}
			c.show(where, p.Get("channel"), c.tsOf(p.Get("channel"), p.Get("blocks"), p.Get("text")), p.Get("text"), json.RawMessage(p.Get("blocks")))
		case "chat.update":
			c.show("#"+p.Get("channel")+" (message updated)", p.Get("channel"), p.Get("ts"), p.Get("text"), json.RawMessage(p.Get("blocks")))
		case "chat.postEphemeral":
			c.show("only "+p.Get("user")+" sees, in #"+p.Get("channel"), p.Get("channel"), "", p.Get("text"), json.RawMessage(p.Get("blocks")))
		case fakeslack.MethodResponse:
			var m struct {
				Text   string          `json:"text"`
				Blocks json.RawMessage `json:"blocks"`
			}
			json.Unmarshal(call.Raw, &m)
			c.show("only you see", "", "", m.Text, m.Blocks)
		case "files.completeUploadExternal":
			c.showFiles(p.Get("channel_id"), p.Get("files"))
		case "views.open", "views.push", "views.update":
			c.showView("form opened", p.Get("view"))
		case "views.publish":
			c.showView("App Home of "+p.Get("user_id"), p.Get("view"))
		case fakeslack.MethodWebhook:
			fmt.Fprintf(c.Out, "\n  ── webhook ──\n  %s\n", strings.TrimSpace(string(call.Raw)))
		}
	}
	c.cursor = len(calls)
}

// tsOf finds the ts Slack gave the message just posted with these blocks.
func (c *Console) tsOf(channel, blocks, text string) string {
	var found string
	var walk func(msgs []fakeslack.Message)
	walk = func(msgs []fakeslack.Message) {
		for _, m := range msgs {
			if string(m.Blocks) == blocks && m.Text == text {
				found = m.TS
			}
			walk(m.Replies)
		}
	}
	walk(c.Fake.Messages(channel))
	return found
}

func (c *Console) show(where, channel, ts, text string, blocks json.RawMessage) {
	body, buttons := PlainText(text, blocks)
	fmt.Fprintf(c.Out, "\n  ── %s ──\n", where)
	for _, line := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		fmt.Fprintf(c.Out, "  %s\n", line)
	}
	for _, b := range buttons {
		c.buttons = append(c.buttons, shownButton{PlainButton: b, channel: channel, ts: ts})
	}
}

func (c *Console) showView(where, view string) {
	var v struct {
		Blocks json.RawMessage `json:"blocks"`
	}
	json.Unmarshal([]byte(view), &v)
	c.show(where, "", "", "", v.Blocks)
}

// sharedFile is one entry of files.completeUploadExternal's files list.
type sharedFile struct {
	ID string `json:"id"`
}

func (c *Console) showFiles(channel, shared string) {
	var ids []sharedFile
	json.Unmarshal([]byte(shared), &ids)
	for _, f := range c.Fake.Files() {
		if !slices.Contains(ids, sharedFile{ID: f.ID}) {
			continue
		}
		line := fmt.Sprintf("  [picture shared in #%s: %s]", channel, f.Title)
		if c.Files != "" {
			path := filepath.Join(c.Files, f.Name)
			if err := os.WriteFile(path, f.Bytes, 0o644); err == nil {
				line += " written to " + path
			}
		}
		fmt.Fprintf(c.Out, "\n%s\n", line)
	}
}
