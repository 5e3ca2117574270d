package fakeslack

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/gorilla/websocket"
)

// Socket Mode. apps.connections.open (with an app-level token, xapp-...)
// hands out a websocket URL on the fake. The fake greets a connection with
// "hello", sends the envelopes a test pushes with SocketSend, and records the
// app's acknowledgements for SocketAck: what Slack does, minus the network.

// Envelope types a test can send.
const (
	EnvelopeSlashCommand = "slash_commands"
	EnvelopeInteractive  = "interactive"
	EnvelopeEvent        = "events_api"
)

// socket is the fake's end of the app's Socket Mode connection.
type socket struct {
	mu    sync.Mutex
	conn  *websocket.Conn
	next  int
	acks  map[string]json.RawMessage
	write sync.Mutex // gorilla allows one writer at a time
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// appsConnectionsOpen answers with the URL of the fake's socket.
func (s *Server) appsConnectionsOpen(req *request) (reply, error) {
	return reply{"url": "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/socket"}, nil
}

// authorizeFor checks the token a method needs: the app-level token for
// opening Socket Mode connections, the bot token for everything else.
func (s *Server) authorizeFor(method, token string) error {
	if method == "apps.connections.open" {
		if !strings.HasPrefix(token, "xapp-") {
			return errInvalidAuth
		}
		return nil
	}
	return s.authorize(token)
}

// serveSocket accepts the app's websocket, says hello and reads its
// acknowledgements until it hangs up.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.sock.mu.Lock()
	if s.sock.conn != nil {
		s.sock.conn.Close()
	}
	s.sock.conn = conn
	if s.sock.acks == nil {
		s.sock.acks = map[string]json.RawMessage{}
	}
	s.sock.mu.Unlock()
	hello := map[string]any{"type": "hello", "num_connections": 1,
		"connection_info": map[string]string{"app_id": AppID}, "debug_info": map[string]any{"host": "fakeslack"}}
	if err := s.sock.send(conn, hello); err != nil {
		return
	}
	s.wake()
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			s.sock.mu.Lock()
			if s.sock.conn == conn {
				s.sock.conn = nil
			}
			s.sock.mu.Unlock()
			s.wake()
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &ack) == nil && ack.EnvelopeID != "" {
			if ack.Payload == nil {
				ack.Payload = json.RawMessage("null")
			}
			s.sock.mu.Lock()
			s.sock.acks[ack.EnvelopeID] = ack.Payload
			s.sock.mu.Unlock()
			s.wake()
		}
	}
}

func (k *socket) send(conn *websocket.Conn, v any) error {
	k.write.Lock()
	defer k.write.Unlock()
	return conn.WriteJSON(v)
}

// SocketConnected reports whether an app holds a Socket Mode connection.
func (s *Server) SocketConnected() bool {
	s.sock.mu.Lock()
	defer s.sock.mu.Unlock()
	return s.sock.conn != nil
}

// SocketSend sends an envelope of the given type (EnvelopeSlashCommand,
// EnvelopeInteractive, EnvelopeEvent) carrying payload, a JSON object, to
// the connected app, as Slack's retry number retry (0 for a first
// delivery). It returns the envelope id to wait for with SocketAck.
func (s *Server) SocketSend(kind string, payload json.RawMessage, retry int) (string, error) {
	s.sock.mu.Lock()
	conn := s.sock.conn
	s.sock.next++
	id := fmt.Sprintf("envelope-%d", s.sock.next)
	s.sock.mu.Unlock()
	if conn == nil {
		return "", fmt.Errorf("fakeslack: no Socket Mode connection")
	}
	env := map[string]any{"envelope_id": id, "type": kind, "payload": payload,
		"accepts_response_payload": kind != EnvelopeEvent, "retry_attempt": retry}
	if retry > 0 {
		env["retry_reason"] = "timeout"
	}
	return id, s.sock.send(conn, env)
}

// SocketAck returns the app's acknowledgement of an envelope (its payload,
// "null" when it had none) and whether it has come.
func (s *Server) SocketAck(id string) (json.RawMessage, bool) {
	s.sock.mu.Lock()
	defer s.sock.mu.Unlock()
	ack, ok := s.sock.acks[id]
	return ack, ok
}

// closeSocket hangs up on the app, when the fake closes.
func (s *Server) closeSocket() {
	s.sock.mu.Lock()
	defer s.sock.mu.Unlock()
	if s.sock.conn != nil {
		s.sock.conn.Close()
		s.sock.conn = nil
	}
}

// wake wakes WaitFor from the socket's goroutines, which do not hold s.mu.
func (s *Server) wake() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notify()
}
