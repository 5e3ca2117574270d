package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/growthbot/growthbot/bot"
	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/bot/outbox"
	"github.com/growthbot/growthbot/bot/render"
)

// console runs growthbot in a terminal, like Hubot's shell adapter: you type
// slash commands as a user and see what the bot would post. It goes through
// the real path: signed requests to the Slack handlers, the router, the
// domain, the outbox and a local fake of Slack's Web API. It needs no
// tokens and no network.
type console struct {
	handler http.Handler // the server with the Slack endpoints mounted
	secret  string       // the signing secret the handler checks
	router  *bot.Router
	outbox  *outbox.Outbox
	fake    *fakeslack.Server
	User    string // who types
	Channel string // where they type
	// files is a folder where uploaded pictures are written, or "".
	files string
	out   io.Writer

	cursor  int           // calls of the fake already shown
	buttons []shownButton // buttons on screen, newest last
	form    *shownForm    // the modal on screen, if any
}

type shownButton struct {
	render.PlainButton
	channel, ts string
}

// shownForm is a modal on screen, with what has been typed into it.
type shownForm struct {
	viewID, hash, callbackID, privateMetadata string
	fields                                    []formField
}

// formField is one input of a modal.
type formField struct {
	blockID, actionID, label, typ string
	optional                      bool
	options                       []string // the values a select offers
	value                         string   // typed, or the initial value
}

const consoleHelp = `  /exp ... and /growth ...   run a slash command as the current user
  LABEL                      press the button with that label (the newest one shown)
  :set FIELD VALUE           fill in a field of the form on screen (its name or label);
                             several options of a multi-select: a, b
  :submit / :cancel          submit or close the form on screen
  :user U0PM                 act as another Slack user
  :channel C0CHECKOUT        type in another channel
  :quit                      leave`

// Run reads lines from in until it ends or ":quit".
func (c *console) Run(ctx context.Context, in io.Reader) error {
	fmt.Fprintf(c.out, "growthbot console: type /exp help, /growth help, a button's label to press it, or :help.\n")
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for {
		fmt.Fprintf(c.out, "\n%s> ", c.User)
		if !sc.Scan() {
			fmt.Fprintln(c.out)
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
func (c *console) Exec(ctx context.Context, line string) bool {
	line = strings.TrimSpace(line)
	word, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	switch {
	case line == "":
	case line == ":quit" || line == ":q" || line == ":exit":
		return true
	case line == ":help":
		fmt.Fprintln(c.out, consoleHelp)
	case word == ":user" && rest != "":
		c.User = rest
		fmt.Fprintf(c.out, "  now acting as %s\n", c.User)
	case word == ":channel" && rest != "":
		c.Channel = rest
		fmt.Fprintf(c.out, "  now typing in %s\n", c.Channel)
	case word == ":set":
		c.set(rest)
	case line == ":submit":
		c.submit(ctx)
	case line == ":cancel":
		if c.form == nil {
			fmt.Fprintln(c.out, "  ? no form is open")
		} else {
			c.form = nil
			fmt.Fprintln(c.out, "  form closed")
		}
	case strings.HasPrefix(line, "/"):
		c.post(ctx, "/slack/commands", fakeslack.CommandBody(fakeslack.Command{Command: word, Text: rest,
			UserID: c.User, ChannelID: c.Channel, ResponseURL: c.fake.ResponseURL()}))
	case strings.HasPrefix(line, ":"):
		fmt.Fprintf(c.out, "  ? unknown command %q (:help lists them)\n", word)
	default:
		b, ok := c.button(line)
		if !ok {
			fmt.Fprintf(c.out, "  ? %q is neither a slash command nor the label of a button on screen (:help)\n", line)
			return false
		}
		channel := cmpOr(b.channel, c.Channel)
		c.post(ctx, "/slack/interactions", fakeslack.BlockActionsBody(fakeslack.Action{ActionID: b.ActionID, Value: b.Value,
			BlockID: b.BlockID, UserID: c.User, ChannelID: channel, MessageTS: b.ts, ResponseURL: c.fake.ResponseURL()}))
	}
	return false
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// button finds the newest button on screen whose label matches.
func (c *console) button(label string) (shownButton, bool) {
	for i := len(c.buttons) - 1; i >= 0; i-- {
		if strings.EqualFold(c.buttons[i].Label, label) {
			return c.buttons[i], true
		}
	}
	return shownButton{}, false
}

// set fills in a field of the form on screen: ":set FIELD VALUE".
func (c *console) set(arg string) {
	if c.form == nil {
		fmt.Fprintln(c.out, "  ? no form is open: a command like /exp new opens one")
		return
	}
	name, value, _ := strings.Cut(arg, " ")
	value = strings.TrimSpace(value)
	for i := range c.form.fields {
		f := &c.form.fields[i]
		if !strings.EqualFold(f.blockID, name) && !strings.EqualFold(f.label, name) {
			continue
		}
		if len(f.options) > 0 {
			for v := range strings.SplitSeq(value, ",") {
				if v = strings.TrimSpace(v); v != "" && !slices.Contains(f.options, v) {
					fmt.Fprintf(c.out, "  ? %s offers %s, not %q\n", f.blockID, strings.Join(f.options, ", "), v)
					return
				}
			}
		}
		f.value = value
		fmt.Fprintf(c.out, "  %s = %s\n", f.blockID, value)
		return
	}
	var names []string
	for _, f := range c.form.fields {
		names = append(names, f.blockID)
	}
	fmt.Fprintf(c.out, "  ? the form has no field %q; its fields are %s\n", name, strings.Join(names, ", "))
}

// submit submits the form on screen as Slack would.
func (c *console) submit(ctx context.Context) {
	f := c.form
	if f == nil {
		fmt.Fprintln(c.out, "  ? no form is open")
		return
	}
	var inputs []fakeslack.Input
	for _, field := range f.fields {
		if field.value == "" && !field.optional {
			fmt.Fprintf(c.out, "  form errors: %s is required (:set %s VALUE)\n", field.blockID, field.blockID)
			return
		}
		inputs = append(inputs, fakeslack.Input{BlockID: field.blockID, ActionID: field.actionID, Type: field.typ, Value: field.value})
	}
	c.form = nil // Slack closes the modal unless the answer says otherwise
	if !c.post(ctx, "/slack/interactions", fakeslack.ViewSubmissionBody(fakeslack.Submission{ViewID: f.viewID, Hash: f.hash,
		CallbackID: f.callbackID, PrivateMetadata: f.privateMetadata, UserID: c.User, Inputs: inputs})) {
		c.form = f // it answered with errors: the form stays, as in Slack
	}
}

// post sends a signed request to the handler as Slack would, prints the
// direct answer, lets the outbox deliver, and prints what reached Slack. It
// reports whether the request was accepted (no HTTP error, no form errors).
func (c *console) post(ctx context.Context, path string, body []byte) bool {
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, path, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	fakeslack.Sign(req, body, c.secret, time.Now())
	rec := httptest.NewRecorder()
	c.handler.ServeHTTP(rec, req)
	ok := true
	if rec.Code != http.StatusOK {
		fmt.Fprintf(c.out, "  ! HTTP %d: %s\n", rec.Code, strings.TrimSpace(rec.Body.String()))
		ok = false
	} else if rec.Body.Len() > 0 {
		var m struct {
			Text   string            `json:"text"`
			Blocks json.RawMessage   `json:"blocks"`
			Action string            `json:"response_action"`
			Errors map[string]string `json:"errors"`
		}
		json.Unmarshal(rec.Body.Bytes(), &m)
		if m.Action == "errors" {
			for _, block := range slices.Sorted(maps.Keys(m.Errors)) {
				fmt.Fprintf(c.out, "  form errors: %s: %s\n", block, m.Errors[block])
			}
			ok = false
		} else if m.Text != "" || len(m.Blocks) > 0 {
			c.show("only you see", "", "", m.Text, m.Blocks)
		}
	}
	c.Settle(ctx)
	return ok
}

// Settle waits for work left running after a request, delivers the outbox
// and prints what reached Slack since the last call.
func (c *console) Settle(ctx context.Context) {
	c.router.Wait()
	for range 20 {
		n, err := c.outbox.DeliverDue(ctx)
		if err != nil {
			fmt.Fprintf(c.out, "  ! outbox: %v\n", err)
			break
		}
		if n == 0 {
			break
		}
	}
	c.ShowNew()
}

// ShowNew prints every call that reached the fake Slack since the last time.
func (c *console) ShowNew() {
	calls := c.fake.Calls()
	for _, call := range calls[c.cursor:] {
		switch {
		case call.Error != "":
			fmt.Fprintf(c.out, "  ! Slack error: %s answered %s\n", call.Method, call.Error)
			continue
		case call.Status != http.StatusOK:
			fmt.Fprintf(c.out, "  ! Slack error: %s answered HTTP %d\n", call.Method, call.Status)
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
			c.showForm(p.Get("view"))
		case "views.publish":
			c.showView("App Home of "+p.Get("user_id"), p.Get("view"))
		case fakeslack.MethodWebhook:
			fmt.Fprintf(c.out, "\n  ── webhook ──\n  %s\n", strings.TrimSpace(string(call.Raw)))
		}
	}
	c.cursor = len(calls)
}

// tsOf finds the ts Slack gave the message just posted with these blocks.
func (c *console) tsOf(channel, blocks, text string) string {
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
	walk(c.fake.Messages(channel))
	return found
}

func (c *console) show(where, channel, ts, text string, blocks json.RawMessage) {
	body, _ := render.PlainText(text, blocks)
	fmt.Fprintf(c.out, "\n  ── %s ──\n", where)
	for _, line := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		fmt.Fprintf(c.out, "  %s\n", line)
	}
	c.keepButtons(channel, ts, text, blocks)
}

// keepButtons makes a message's buttons pressable by their labels.
func (c *console) keepButtons(channel, ts, text string, blocks json.RawMessage) {
	_, buttons := render.PlainText(text, blocks)
	for _, b := range buttons {
		c.buttons = append(c.buttons, shownButton{PlainButton: b, channel: channel, ts: ts})
	}
}

func (c *console) showView(where, view string) {
	var v struct {
		Blocks json.RawMessage `json:"blocks"`
	}
	json.Unmarshal([]byte(view), &v)
	c.show(where, "", "", "", v.Blocks)
}

// viewJSON is the part of a modal the console reads.
type viewJSON struct {
	CallbackID      string `json:"callback_id"`
	PrivateMetadata string `json:"private_metadata"`
	Title           struct {
		Text string `json:"text"`
	} `json:"title"`
	Blocks []struct {
		Type     string `json:"type"`
		BlockID  string `json:"block_id"`
		Optional bool   `json:"optional"`
		Label    struct {
			Text string `json:"text"`
		} `json:"label"`
		Element struct {
			Type          string `json:"type"`
			ActionID      string `json:"action_id"`
			InitialValue  string `json:"initial_value"`
			InitialOption *struct {
				Value string `json:"value"`
			} `json:"initial_option"`
			InitialOptions []struct {
				Value string `json:"value"`
			} `json:"initial_options"`
			Options []struct {
				Value string `json:"value"`
			} `json:"options"`
		} `json:"element"`
	} `json:"blocks"`
}

// showForm prints a modal and keeps it on screen to be filled in.
func (c *console) showForm(view string) {
	var v viewJSON
	json.Unmarshal([]byte(view), &v)
	f := &shownForm{callbackID: v.CallbackID, privateMetadata: v.PrivateMetadata}
	for id, sv := range c.fake.Views() {
		if string(sv.Raw) == view {
			f.viewID, f.hash = id, sv.Hash
		}
	}
	c.showView("form: "+v.Title.Text, view)
	for _, b := range v.Blocks {
		if b.Type != "input" {
			continue
		}
		el := b.Element
		field := formField{blockID: b.BlockID, actionID: el.ActionID, label: b.Label.Text, typ: el.Type, optional: b.Optional,
			value: el.InitialValue}
		if el.InitialOption != nil {
			field.value = el.InitialOption.Value
		}
		var initial []string
		for _, o := range el.InitialOptions {
			initial = append(initial, o.Value)
		}
		if len(initial) > 0 {
			field.value = strings.Join(initial, ", ")
		}
		for _, o := range el.Options {
			field.options = append(field.options, o.Value)
		}
		f.fields = append(f.fields, field)
	}
	if len(f.fields) == 0 {
		return
	}
	c.form = f
	fmt.Fprintln(c.out, "\n  Fill it in with :set FIELD VALUE, then :submit (or :cancel):")
	for _, field := range f.fields {
		line := fmt.Sprintf("    %-12s %s", field.blockID, field.label)
		if field.optional {
			line += " (optional)"
		}
		if len(field.options) > 0 {
			line += " [" + strings.Join(field.options, " | ") + "]"
		}
		if field.value != "" {
			line += " = " + field.value
		}
		fmt.Fprintln(c.out, line)
	}
}

// sharedFile is one entry of files.completeUploadExternal's files list.
type sharedFile struct {
	ID string `json:"id"`
}

func (c *console) showFiles(channel, shared string) {
	var ids []sharedFile
	json.Unmarshal([]byte(shared), &ids)
	for _, f := range c.fake.Files() {
		if !slices.Contains(ids, sharedFile{ID: f.ID}) {
			continue
		}
		line := fmt.Sprintf("  [picture shared in #%s: %s]", channel, f.Title)
		if c.files != "" {
			path := filepath.Join(c.files, f.Name)
			if err := os.WriteFile(path, f.Bytes, 0o644); err == nil {
				line += " written to " + path
			}
		}
		fmt.Fprintf(c.out, "\n%s\n", line)
	}
}
