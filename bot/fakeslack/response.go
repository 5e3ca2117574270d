package fakeslack

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"
)

// Response is a message posted to a response_url.
type Response struct {
	URL             string
	Text            string
	Blocks          json.RawMessage
	ResponseType    string // "ephemeral" (Slack's default) or "in_channel"
	ReplaceOriginal bool
	DeleteOriginal  bool
	ThreadTS        string
	Raw             []byte
}

// Webhook is a body POSTed to a URL from WebhookURL.
type Webhook struct {
	URL    string
	Header http.Header
	Body   []byte
	Time   time.Time
}

// ResponseURL returns a new response_url on the fake, to put in the slash
// commands and interactions a test sends to the app.
func (s *Server) ResponseURL() string { return s.newURL("/response/") }

// WebhookURL returns a new URL on the fake that records what is POSTed to it,
// for the webhooks the app calls out to.
func (s *Server) WebhookURL() string { return s.newURL("/webhook/") }

func (s *Server) newURL(path string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv.URL + path + s.newID("")
}

// Responses returns what was posted to response URLs, in order.
func (s *Server) Responses() []Response {
	return cloned(s, &s.responses, func(r *Response) {
		r.Blocks, r.Raw = bytes.Clone(r.Blocks), bytes.Clone(r.Raw)
	})
}

// Webhooks returns what was posted to webhook URLs, in order.
func (s *Server) Webhooks() []Webhook {
	return cloned(s, &s.webhooks, func(w *Webhook) {
		w.Body, w.Header = bytes.Clone(w.Body), w.Header.Clone()
	})
}

// respond takes a response_url message: a JSON body, with blocks under the
// same limits as chat.postMessage.
func (s *Server) respond(req *request) response {
	var body struct {
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
		ResponseType    string          `json:"response_type"`
		ReplaceOriginal bool            `json:"replace_original"`
		DeleteOriginal  bool            `json:"delete_original"`
		ThreadTS        string          `json:"thread_ts"`
	}
	if err := json.Unmarshal(req.raw, &body); err != nil {
		return textResponse(http.StatusBadRequest, string(errInvalidPayload))
	}
	if string(body.Blocks) == "null" {
		body.Blocks = nil // slack-go sends "blocks":null when there are none
	}
	if body.Blocks != nil {
		if err := checkBlocks(body.Blocks, maxMessageBlocks); err != nil {
			return textResponse(http.StatusBadRequest, string(errInvalidBlocks))
		}
	}
	s.responses = append(s.responses, Response{
		URL:             s.srv.URL + req.url,
		Text:            body.Text,
		Blocks:          body.Blocks,
		ResponseType:    body.ResponseType,
		ReplaceOriginal: body.ReplaceOriginal,
		DeleteOriginal:  body.DeleteOriginal,
		ThreadTS:        body.ThreadTS,
		Raw:             req.raw,
	})
	return jsonResponse(http.StatusOK, reply{"ok": true}, "")
}

func (s *Server) webhook(req *request) response {
	s.webhooks = append(s.webhooks, Webhook{
		URL:    s.srv.URL + req.url,
		Header: req.header.Clone(),
		Body:   req.raw,
		Time:   time.Now(),
	})
	return textResponse(http.StatusOK, "ok")
}
