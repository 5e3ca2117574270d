package fakeslack

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// File is a file uploaded through Slack's external upload flow:
// files.getUploadURLExternal, the upload URL, files.completeUploadExternal.
type File struct {
	ID      string
	Name    string
	Title   string
	AltText string
	// Length is the size files.getUploadURLExternal announced.
	Length int
	// Bytes is what the upload URL received.
	Bytes    []byte
	Uploaded bool
	// Completed is set by files.completeUploadExternal, which also shares
	// the file when it names a channel.
	Completed      bool
	Channel        string
	ThreadTS       string
	MessageTS      string
	InitialComment string
}

// wireFile is a file as Slack's API lists it in a message.
type wireFile struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Title string `json:"title"`
	Size  int    `json:"size"`
}

func (f *File) wire() wireFile {
	return wireFile{ID: f.ID, Name: f.Name, Title: f.Title, Size: len(f.Bytes)}
}

func (f *File) snapshot() File {
	c := *f
	c.Bytes = bytes.Clone(f.Bytes)
	return c
}

// filesGetUploadURLExternal reserves a file ID and hands out the fake's own
// upload URL for it, which slack-go accepts because it is on the API host.
func (s *Server) filesGetUploadURLExternal(req *request) (reply, error) {
	p := req.params
	length, err := strconv.Atoi(p.Get("length"))
	if p.Get("filename") == "" || err != nil || length <= 0 {
		return nil, errInvalidArguments
	}
	f := &File{ID: s.newID("F"), Name: p.Get("filename"), AltText: p.Get("alt_txt"), Length: length}
	s.files[f.ID] = f
	s.fileOrder = append(s.fileOrder, f.ID)
	return reply{"upload_url": s.srv.URL + "/upload/" + f.ID, "file_id": f.ID}, nil
}

// upload receives a file's bytes. slack-go's UploadToURL posts a multipart
// form with the bytes in a "file" part; a raw POST or PUT body is taken as
// the file too. Like Slack, it answers "OK - <size>" in plain text.
func (s *Server) upload(req *request) response {
	if req.httpMethod != http.MethodPost && req.httpMethod != http.MethodPut {
		return textResponse(http.StatusMethodNotAllowed, "method_not_allowed")
	}
	f := s.files[req.id]
	if f == nil {
		return textResponse(http.StatusNotFound, "file_not_found")
	}
	f.Bytes, f.Uploaded = req.upload, true
	return textResponse(http.StatusOK, fmt.Sprintf("OK - %d", len(f.Bytes)))
}

// filesCompleteUploadExternal finishes uploads and, given a channel, shares
// them there in one message whose text is initial_comment.
func (s *Server) filesCompleteUploadExternal(req *request) (reply, error) {
	p := req.params
	var summaries []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(p.Get("files")), &summaries); err != nil || len(summaries) == 0 {
		return nil, errInvalidArguments
	}
	var files []*File
	for _, sum := range summaries {
		f := s.files[sum.ID]
		if f == nil || !f.Uploaded {
			return nil, errFileNotFound
		}
		files = append(files, f)
	}
	c, err := parseContent(p, "initial_comment")
	if err != nil {
		return nil, err
	}
	// slack-go sends channel_id; Slack also takes a comma-separated
	// "channels", of which the fake shares to the first.
	id := p.Get("channel_id")
	if id == "" {
		id, _, _ = strings.Cut(p.Get("channels"), ",")
	}
	var m *message
	if id != "" {
		// Sharing a file needs the bot in the channel: chat:write.public
		// does not cover it.
		if err := s.readable(id); err != nil {
			return nil, err
		}
		ch, err := s.channel(id)
		if err != nil {
			return nil, err
		}
		if m, err = s.post(ch, id, c, p.Get("thread_ts"), false); err != nil {
			return nil, err
		}
	}
	out := []reply{}
	for i, f := range files {
		f.Title = cmp.Or(summaries[i].Title, f.Name)
		f.Completed, f.InitialComment = true, c.text
		if m != nil {
			m.fileIDs = append(m.fileIDs, f.ID)
			f.Channel, f.ThreadTS, f.MessageTS = id, m.threadTS, m.ts
		}
		out = append(out, reply{"id": f.ID, "title": f.Title})
	}
	return reply{"files": out}, nil
}

// Files returns every file whose upload was started, in that order.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []File
	for _, id := range s.fileOrder {
		out = append(out, s.files[id].snapshot())
	}
	return out
}
