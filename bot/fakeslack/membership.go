package fakeslack

import (
	"slices"
	"strings"
)

// Channel describes a conversation of the fake workspace, as DeclareChannel
// takes it and Channels returns it.
type Channel struct {
	ID string
	// Name is the channel's name without "#"; it defaults to one made from
	// the ID ("C0CHECKOUT" → "checkout").
	Name string
	// Private is a private channel: the bot cannot see it, join it or post
	// to it until it is invited.
	Private bool
	// Member says the bot is in the channel.
	Member bool
	// Archived channels refuse posts and joins with is_archived.
	Archived bool
}

// DeclareChannel declares a channel with its privacy and whether the bot is
// in it, replacing an earlier declaration of the same ID. Like AddChannel it
// restricts the workspace to declared channels. Declarations survive Reset.
func (s *Server) DeclareChannel(c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.Name == "" {
		c.Name = nameOf(c.ID)
	}
	s.restricted = true
	s.allowed[c.ID] = &c
}

// SetMember invites the bot to a declared channel (true) or removes it
// (false), as a person in the workspace would. It reports whether the
// channel is declared.
func (s *Server) SetMember(id string, member bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.allowed[id]
	if c == nil {
		return false
	}
	c.Member = member
	s.notify()
	return true
}

// Channels returns the declared channels, by ID.
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Channel
	for _, c := range s.allowed {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Channel) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// SetScopes grants the bot token exactly these OAuth scopes: a method that
// needs another answers missing_scope, and chat.postMessage to a public
// channel the bot is not in needs chat:write.public. Until it is called
// every scope is granted, so that tests which do not care about scopes need
// not list them.
func (s *Server) SetScopes(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scopes = map[string]bool{}
	for _, sc := range scopes {
		s.scopes[sc] = true
	}
}

// MethodScopes returns the scopes a bot token needs for a Web API method
// the fake implements: any one of them will do (a method on public and
// private channels takes the channels: or the groups: scope). Methods that
// need no scope return nil.
func MethodScopes(method string) []string {
	return methodScopes[method]
}

// methodScopes are the bot scopes each method needs, as Slack documents them.
var methodScopes = map[string][]string{
	"chat.postMessage":             {"chat:write"},
	"chat.update":                  {"chat:write"},
	"chat.delete":                  {"chat:write"},
	"chat.postEphemeral":           {"chat:write"},
	"conversations.history":        {"channels:history", "groups:history", "im:history", "mpim:history"},
	"conversations.replies":        {"channels:history", "groups:history", "im:history", "mpim:history"},
	"conversations.info":           {"channels:read", "groups:read", "im:read", "mpim:read"},
	"conversations.join":           {"channels:join"},
	"files.getUploadURLExternal":   {"files:write"},
	"files.completeUploadExternal": {"files:write"},
	"users.info":                   {"users:read"},
}

// granted reports whether the token holds a scope the method needs. The
// caller holds s.mu.
func (s *Server) granted(method string) bool {
	need := methodScopes[method]
	if s.scopes == nil || len(need) == 0 {
		return true
	}
	return slices.ContainsFunc(need, func(sc string) bool { return s.scopes[sc] })
}

// scoped reports whether the token holds scope, all of them until SetScopes.
// The caller holds s.mu.
func (s *Server) scoped(scope string) bool { return s.scopes == nil || s.scopes[scope] }

// channelInfo returns what the workspace knows of a channel, and whether
// the channel exists at all. Until a channel is declared every well-formed
// ID exists, and the bot is in it, as if it had been invited everywhere.
// The caller holds s.mu.
func (s *Server) channelInfo(id string) (Channel, bool) {
	if s.restricted {
		c := s.allowed[id]
		if c == nil {
			return Channel{}, false
		}
		return *c, true
	}
	if !channelID.MatchString(id) {
		return Channel{}, false
	}
	return Channel{ID: id, Name: nameOf(id), Private: strings.HasPrefix(id, "G"), Member: true}, true
}

// visible returns the channel if the bot may see it: a private channel the
// bot is not in is channel_not_found to it, as in Slack. The caller holds
// s.mu.
func (s *Server) visible(id string) (Channel, error) {
	c, ok := s.channelInfo(id)
	if !ok || c.Private && !c.Member {
		return Channel{}, errChannelNotFound
	}
	return c, nil
}

// readable is visible, and the bot is in it: what conversations.history,
// conversations.replies and sharing a file need. The caller holds s.mu.
func (s *Server) readable(id string) error {
	c, err := s.visible(id)
	if err == nil && !c.Member {
		err = errNotInChannel
	}
	return err
}

// postable says whether the bot may post to the channel: it is in it, or
// the channel is public and the token has chat:write.public. The caller
// holds s.mu.
func (s *Server) postable(id string) error {
	c, err := s.visible(id)
	switch {
	case err != nil:
		return err
	case c.Archived:
		return errIsArchived
	case !c.Member && !s.scoped("chat:write.public"):
		return errNotInChannel
	}
	return nil
}

// wireChannel renders a channel as conversations.info and .join answer.
func wireChannel(c Channel) reply {
	return reply{
		"id":              c.ID,
		"name":            c.Name,
		"is_channel":      !c.Private,
		"is_group":        c.Private,
		"is_private":      c.Private,
		"is_im":           false,
		"is_mpim":         false,
		"is_archived":     c.Archived,
		"is_general":      false,
		"is_member":       c.Member,
		"created":         baseEpoch,
		"creator":         DefaultUserID,
		"context_team_id": TeamID,
	}
}

// conversationsInfo answers with the channel, or channel_not_found for a
// private channel the bot is not in.
func (s *Server) conversationsInfo(req *request) (reply, error) {
	c, err := s.visible(req.params.Get("channel"))
	if err != nil {
		return nil, err
	}
	return reply{"channel": wireChannel(c)}, nil
}

// conversationsJoin puts the bot in a public channel. A private channel
// cannot be joined, only invited to.
func (s *Server) conversationsJoin(req *request) (reply, error) {
	id := req.params.Get("channel")
	c, err := s.visible(id)
	switch {
	case err != nil:
		return nil, err
	case c.Private:
		return nil, errNotSupportedForType
	case c.Archived:
		return nil, errIsArchived
	}
	out := reply{}
	if c.Member {
		out["warning"] = "already_in_channel"
		out["response_metadata"] = reply{"warnings": []string{"already_in_channel"}}
	} else if s.restricted {
		s.allowed[id].Member = true
		c.Member = true
	}
	out["channel"] = wireChannel(c)
	return out, nil
}
