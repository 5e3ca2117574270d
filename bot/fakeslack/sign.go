package fakeslack

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Sign sets the headers Slack signs its requests to an app with: the
// timestamp, and v0= followed by the hex HMAC-SHA256, keyed with the signing
// secret, of "v0:<timestamp>:<body>". body must be the bytes req sends.
func Sign(req *http.Request, body []byte, secret string, at time.Time) {
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
}

// Command is a slash command as a user types it. Empty fields get defaults:
// "/growthbot", DefaultUserID, DefaultChannelID, TeamID, a fresh trigger_id
// and a response_url that goes nowhere (pass ResponseURL() to see replies).
type Command struct {
	Command     string
	Text        string
	UserID      string
	ChannelID   string
	ResponseURL string
	TriggerID   string
	TeamID      string
}

// CommandBody returns the form body Slack posts for a slash command.
func CommandBody(c Command) []byte {
	user := cmp.Or(c.UserID, DefaultUserID)
	ch := cmp.Or(c.ChannelID, DefaultChannelID)
	return []byte(url.Values{
		"token":                 {VerificationToken},
		"team_id":               {cmp.Or(c.TeamID, TeamID)},
		"team_domain":           {TeamDomain},
		"channel_id":            {ch},
		"channel_name":          {nameOf(ch)},
		"user_id":               {user},
		"user_name":             {nameOf(user)},
		"command":               {cmp.Or(c.Command, "/growthbot")},
		"text":                  {c.Text},
		"api_app_id":            {AppID},
		"is_enterprise_install": {"false"},
		"response_url":          {cmp.Or(c.ResponseURL, nowhereURL())},
		"trigger_id":            {cmp.Or(c.TriggerID, newTriggerID())},
	}.Encode())
}

// Action is a click on a button in a message the bot posted. Empty fields
// get defaults as in Command; BlockID defaults to "actions" because slack-go
// tells block actions from legacy attachment actions by their block_id.
type Action struct {
	ActionID  string
	Value     string
	BlockID   string
	UserID    string
	ChannelID string
	// MessageTS, MessageText and MessageBlocks describe the message the
	// button is in; MessageBlocks must be valid JSON if set.
	MessageTS     string
	MessageText   string
	MessageBlocks json.RawMessage
	ResponseURL   string
	TriggerID     string
}

// BlockActionsBody returns the form body (payload=<json>) Slack posts when a
// user clicks a button in a message.
func BlockActionsBody(a Action) []byte {
	ch := cmp.Or(a.ChannelID, DefaultChannelID)
	ts := cmp.Or(a.MessageTS, fmt.Sprintf("%d.000100", baseEpoch))
	return pressBody(a, obj{
		"channel":   obj{"id": ch, "name": nameOf(ch)},
		"container": obj{"type": "message", "message_ts": ts, "channel_id": ch, "is_ephemeral": false},
		"message": obj{
			"type": "message", "ts": ts, "text": a.MessageText, "blocks": blocksOf(a),
			"user": BotUserID, "bot_id": BotID, "app_id": AppID, "team": TeamID,
		},
		"response_url": cmp.Or(a.ResponseURL, nowhereURL()),
	})
}

// HomeActionBody returns the form body Slack posts when a user clicks a
// button in their App Home: the container is the home view, and there is
// no channel, message or response_url.
func HomeActionBody(a Action) []byte {
	view := "V0HOME" + cmp.Or(a.UserID, DefaultUserID)
	return pressBody(a, obj{
		"container": obj{"type": "view", "view_id": view},
		"view": obj{"id": view, "type": "home", "team_id": TeamID, "callback_id": "", "private_metadata": "",
			"blocks": blocksOf(a)},
	})
}

// pressBody is a block_actions payload pressing a's button, with where
// the button is (a message, a view) in where.
func pressBody(a Action, where obj) []byte {
	p := obj{
		"type":       "block_actions",
		"token":      VerificationToken,
		"api_app_id": AppID,
		"team":       team(),
		"user":       userObj(cmp.Or(a.UserID, DefaultUserID)),
		"state":      obj{"values": obj{}},
		"trigger_id": cmp.Or(a.TriggerID, newTriggerID()),
		"actions": []obj{{
			"type":      "button",
			"action_id": a.ActionID,
			"block_id":  cmp.Or(a.BlockID, "actions"),
			"value":     a.Value,
			"text":      obj{"type": "plain_text", "text": a.Value, "emoji": true},
			"action_ts": newActionTS(),
		}},
		"is_enterprise_install": false,
	}
	maps.Copy(p, where)
	return payloadBody(p)
}

func blocksOf(a Action) json.RawMessage {
	if a.MessageBlocks == nil {
		return json.RawMessage("[]")
	}
	return a.MessageBlocks
}

// Submission is a modal a user submits. ViewID defaults to "V0MODAL".
type Submission struct {
	ViewID          string
	CallbackID      string
	PrivateMetadata string
	Hash            string
	UserID          string
	TriggerID       string
	Inputs          []Input
}

// Input is one input's value in a submitted modal.
type Input struct {
	BlockID  string
	ActionID string
	// Type is the element type; it decides where Slack puts the value:
	// "value" for plain_text_input (the default) and number_input,
	// "selected_option" for static_select, external_select and
	// radio_buttons, "selected_options" for multi_static_select,
	// multi_external_select and checkboxes (Value comma-separated), "selected_user" for users_select, "selected_channel"
	// for channels_select, "selected_conversation" for
	// conversations_select, "selected_date" for datepicker and
	// "selected_time" for timepicker.
	Type  string
	Value string
}

// state is the input as it appears in view.state.values.
func (in Input) state() obj {
	typ := cmp.Or(in.Type, "plain_text_input")
	v := obj{"type": typ}
	switch typ {
	case "static_select", "external_select", "radio_buttons":
		v["selected_option"] = obj{"value": in.Value, "text": obj{"type": "plain_text", "text": in.Value, "emoji": true}}
	case "multi_static_select", "multi_external_select", "checkboxes":
		// Value lists the selected options, comma-separated.
		options := []obj{}
		for o := range strings.SplitSeq(in.Value, ",") {
			if o = strings.TrimSpace(o); o != "" {
				options = append(options, obj{"value": o, "text": obj{"type": "plain_text", "text": o, "emoji": true}})
			}
		}
		v["selected_options"] = options
	case "users_select":
		v["selected_user"] = in.Value
	case "channels_select":
		v["selected_channel"] = in.Value
	case "conversations_select":
		v["selected_conversation"] = in.Value
	case "datepicker":
		v["selected_date"] = in.Value
	case "timepicker":
		v["selected_time"] = in.Value
	default:
		v["value"] = in.Value
	}
	return v
}

// ViewSubmissionBody returns the form body (payload=<json>) Slack posts when
// a user submits a modal.
func ViewSubmissionBody(v Submission) []byte {
	values := obj{}
	for _, in := range v.Inputs {
		block, _ := values[in.BlockID].(obj)
		if block == nil {
			block = obj{}
			values[in.BlockID] = block
		}
		block[in.ActionID] = in.state()
	}
	id := cmp.Or(v.ViewID, "V0MODAL")
	return payloadBody(obj{
		"type":       "view_submission",
		"token":      VerificationToken,
		"api_app_id": AppID,
		"team":       team(),
		"user":       userObj(cmp.Or(v.UserID, DefaultUserID)),
		"trigger_id": cmp.Or(v.TriggerID, newTriggerID()),
		"view": obj{
			"id":               id,
			"team_id":          TeamID,
			"type":             "modal",
			"callback_id":      v.CallbackID,
			"private_metadata": v.PrivateMetadata,
			"hash":             cmp.Or(v.Hash, fmt.Sprintf("%d.fakehash", baseEpoch)),
			"state":            obj{"values": values},
			"blocks":           []obj{},
			"app_id":           AppID,
			"bot_id":           BotID,
			"root_view_id":     id,
		},
		"response_urls":         []obj{},
		"is_enterprise_install": false,
	})
}

// EventCallback is a delivery from the Events API. Type "url_verification"
// is the handshake Slack sends when the request URL is set; anything else is
// an event_callback, with an app_home_opened event unless Event is set.
type EventCallback struct {
	Type      string
	Challenge string
	EventID   string
	EventTime time.Time
	// UserID, ChannelID and Tab fill the app_home_opened event; they default
	// to DefaultUserID, the user's App Home DM and "home".
	UserID    string
	ChannelID string
	Tab       string
	// Event replaces the inner event; it must be valid JSON.
	Event json.RawMessage
}

// EventBody returns the JSON body Slack posts for an Events API delivery.
func EventBody(e EventCallback) []byte {
	if e.Type == "url_verification" {
		return mustJSON(obj{
			"type":      e.Type,
			"token":     VerificationToken,
			"challenge": cmp.Or(e.Challenge, "fake-challenge-"+strconv.FormatInt(sequence.Add(1), 10)),
		})
	}
	at := e.EventTime
	if at.IsZero() {
		at = time.Unix(baseEpoch, 0)
	}
	inner := e.Event
	if inner == nil {
		inner = mustJSON(obj{
			"type":     "app_home_opened",
			"user":     cmp.Or(e.UserID, DefaultUserID),
			"channel":  cmp.Or(e.ChannelID, "D0HOME"),
			"tab":      cmp.Or(e.Tab, "home"),
			"event_ts": fmt.Sprintf("%d.%06d", at.Unix(), at.Nanosecond()/1000),
		})
	}
	return mustJSON(obj{
		"type":       "event_callback",
		"token":      VerificationToken,
		"team_id":    TeamID,
		"api_app_id": AppID,
		"event":      inner,
		"event_id":   cmp.Or(e.EventID, newEventID()),
		"event_time": at.Unix(),
		"authorizations": []obj{{
			"team_id": TeamID, "user_id": BotUserID, "is_bot": true, "is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false,
	})
}

// obj is a JSON object under construction. Payloads are written as literals
// so that they read like Slack's documentation of them.
type obj = map[string]any

// sequence makes trigger IDs, challenges and event IDs unique across every
// Server and test in the process.
var sequence atomic.Int64

// nowhereURL is the default response_url. The .invalid domain (RFC 2606)
// never resolves, so an app under test cannot reach the real Slack with it.
func nowhereURL() string {
	return fmt.Sprintf("https://hooks.slack.invalid/commands/%s/%d/fake", TeamID, sequence.Add(1))
}

// nameOf makes a readable name from an ID ("U0ALICE" → "alice"), where
// Slack sends user and channel names.
func nameOf(id string) string {
	if len(id) < 2 {
		return strings.ToLower(id)
	}
	return strings.ToLower(strings.TrimLeft(id[1:], "0"))
}

func team() obj { return obj{"id": TeamID, "domain": TeamDomain} }

func userObj(id string) obj {
	return obj{"id": id, "username": nameOf(id), "name": nameOf(id), "team_id": TeamID}
}

// payloadBody wraps an interaction payload the way Slack posts it: as the
// payload field of a form.
func payloadBody(payload obj) []byte {
	return []byte(url.Values{"payload": {string(mustJSON(payload))}}.Encode())
}

// mustJSON encodes a payload. It can only fail on invalid json.RawMessage a
// test supplied, which is a bug in the test, hence the panic.
func mustJSON(v any) []byte {
	b, err := marshal(v)
	if err != nil {
		panic("fakeslack: " + err.Error())
	}
	return b
}
