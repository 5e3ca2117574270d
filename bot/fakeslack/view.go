package fakeslack

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// View is a modal or App Home view in its latest state.
type View struct {
	ID   string
	Hash string
	// Type is "modal" or "home".
	Type            string
	CallbackID      string
	ExternalID      string
	PrivateMetadata string
	// UserID is the user an App Home view was published for.
	UserID string
	// TriggerID is the trigger a modal was opened or pushed with.
	TriggerID string
	// Method is the views.* method that last wrote the view.
	Method string
	// Blocks are the view's blocks exactly as received.
	Blocks json.RawMessage
	// Raw is the whole view object exactly as last received.
	Raw json.RawMessage
	// Updates counts the writes after the first.
	Updates int
}

// viewHead is the part of a view object the fake reads.
type viewHead struct {
	Type            string          `json:"type"`
	CallbackID      string          `json:"callback_id"`
	ExternalID      string          `json:"external_id"`
	PrivateMetadata string          `json:"private_metadata"`
	Blocks          json.RawMessage `json:"blocks"`
}

// openModal serves views.open and views.push, which differ in Slack only by
// where the modal lands in the stack, which the fake does not model.
func (s *Server) openModal(req *request) (reply, error) {
	if req.params.Get("trigger_id") == "" {
		return nil, errInvalidTriggerID
	}
	v := &View{ID: s.newID("V"), TriggerID: req.params.Get("trigger_id")}
	if err := s.write(v, req, "modal"); err != nil {
		return nil, err
	}
	s.views[v.ID] = v
	return v.wire(), nil
}

// viewsUpdate finds the view, modal or App Home, by view_id or external_id
// and, when a hash is given, refuses to overwrite a newer version, as Slack
// does.
func (s *Server) viewsUpdate(req *request) (reply, error) {
	v := s.findView(req.params.Get("view_id"), req.params.Get("external_id"))
	if v == nil {
		return nil, errViewNotFound
	}
	if err := s.write(v, req, v.Type); err != nil {
		return nil, err
	}
	return v.wire(), nil
}

// findView looks a view up by ID, or by external ID when no ID is given.
func (s *Server) findView(id, externalID string) *View {
	for _, views := range []map[string]*View{s.views, s.homes} {
		for _, v := range views {
			if id != "" && v.ID == id || id == "" && externalID != "" && v.ExternalID == externalID {
				return v
			}
		}
	}
	return nil
}

// viewsPublish sets a user's App Home. The view keeps its ID from one
// publish to the next.
func (s *Server) viewsPublish(req *request) (reply, error) {
	user := req.params.Get("user_id")
	if user == "" {
		return nil, errInvalidArguments
	}
	v := s.homes[user]
	if v == nil {
		v = &View{ID: s.newID("V"), UserID: user}
	}
	if err := s.write(v, req, "home"); err != nil {
		return nil, err
	}
	s.homes[user] = v
	return v.wire(), nil
}

// write checks the request's view and hash and stores the view into v. v is
// left untouched on error.
func (s *Server) write(v *View, req *request, typ string) error {
	if hash := req.params.Get("hash"); hash != "" && v.Hash != "" && hash != v.Hash {
		return errHashConflict
	}
	raw := json.RawMessage(req.params.Get("view"))
	var head viewHead
	if err := json.Unmarshal(raw, &head); err != nil {
		return detailedError{errInvalidArguments, fmt.Errorf("view is not a JSON object: %w", err)}
	}
	if head.Type != typ {
		return detailedError{errInvalidArguments, fmt.Errorf("view type %q, want %q", head.Type, typ)}
	}
	if err := checkBlocks(head.Blocks, maxViewBlocks); err != nil {
		return detailedError{errInvalidArguments, err}
	}
	// external_id names one view across the workspace.
	if other := s.findView("", head.ExternalID); other != nil && other != v {
		return errDuplicateExternalID
	}
	if v.Method != "" {
		v.Updates++
	}
	v.Method = req.method
	v.Hash = s.newID(fmt.Sprintf("%d.", baseEpoch))
	v.Type, v.CallbackID, v.PrivateMetadata = head.Type, head.CallbackID, head.PrivateMetadata
	if head.ExternalID != "" {
		v.ExternalID = head.ExternalID
	}
	v.Blocks, v.Raw = head.Blocks, raw
	return nil
}

// wire renders the view as views.* answer it: the view as sent, plus what
// Slack adds. Sent members are passed through as raw JSON, so blocks come
// back with the bytes they went in with.
func (v *View) wire() reply {
	var sent map[string]json.RawMessage
	_ = json.Unmarshal(v.Raw, &sent) // write has checked it parses
	view := reply{
		"team_id":               TeamID,
		"app_id":                AppID,
		"bot_id":                BotID,
		"app_installed_team_id": TeamID,
		"private_metadata":      "",
		"callback_id":           "",
		"external_id":           v.ExternalID,
		"state":                 reply{"values": reply{}},
		"root_view_id":          v.ID,
		"previous_view_id":      nil,
	}
	for k, raw := range sent {
		view[k] = raw
	}
	view["id"], view["hash"] = v.ID, v.Hash
	return reply{"view": view}
}

// Views returns the modals opened, pushed or updated, by view ID.
func (s *Server) Views() map[string]View {
	s.mu.Lock()
	defer s.mu.Unlock()
	return snapshotViews(s.views)
}

// HomeViews returns the App Home views published, by user ID.
func (s *Server) HomeViews() map[string]View {
	s.mu.Lock()
	defer s.mu.Unlock()
	return snapshotViews(s.homes)
}

func snapshotViews(views map[string]*View) map[string]View {
	out := make(map[string]View, len(views))
	for k, v := range views {
		c := *v
		c.Blocks, c.Raw = bytes.Clone(v.Blocks), bytes.Clone(v.Raw)
		out[k] = c
	}
	return out
}
