// Package jsonreply writes JSON answers to HTTP requests, the same way for
// the Slack endpoints (bot) and the HTTP API (bot/httpapi): the content
// type, the status, and the value without HTML escaping (Slack renders
// its own escapes).
package jsonreply

import (
	"encoding/json"
	"net/http"
)

// Write writes v as a JSON reply with the status code.
func Write(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
