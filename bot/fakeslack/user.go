package fakeslack

import "strings"

// SetToken makes the server accept only this token. Until it is called, any
// bot token (one starting with "xoxb-") is accepted.
func (s *Server) SetToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// AddUser makes a user known to users.info.
func (s *Server) AddUser(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = name
}

// authorize checks a Web API call's token. The caller holds s.mu.
func (s *Server) authorize(token string) error {
	switch {
	case token == "":
		return errNotAuthed
	case s.token != "" && token != s.token,
		s.token == "" && !strings.HasPrefix(token, "xoxb-"):
		return errInvalidAuth
	}
	return nil
}

// authTest answers as Slack does for the fake workspace's bot.
func (s *Server) authTest(*request) (reply, error) {
	return reply{
		"url":     "https://" + TeamDomain + ".slack.com/",
		"team":    "Fake Workspace",
		"user":    "growthbot",
		"team_id": TeamID,
		"user_id": BotUserID,
		"bot_id":  BotID,
	}, nil
}

func (s *Server) usersInfo(req *request) (reply, error) {
	id := req.params.Get("user")
	name, ok := s.users[id]
	if !ok {
		return nil, errUserNotFound
	}
	return reply{"user": reply{
		"id":        id,
		"team_id":   TeamID,
		"name":      name,
		"real_name": name,
		"is_bot":    false,
		"deleted":   false,
		"profile":   reply{"real_name": name, "display_name": name},
	}}, nil
}
