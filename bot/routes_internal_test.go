package bot

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/bot/render"
)

// TestRouteDeclarations checks what the compiler cannot: every command,
// button and form is declared once, and each command is complete.
func TestRouteDeclarations(t *testing.T) {
	names := map[string]bool{}
	for _, rt := range commandRoutes() {
		name := rt.name()
		switch {
		case names[name]:
			t.Errorf("%s is declared twice", name)
		case rt.root != "exp" && rt.root != "growth":
			t.Errorf("%s: root %q is neither exp nor growth", name, rt.root)
		case rt.handle == nil:
			t.Errorf("%s has no handler", name)
		case rt.summary == "":
			t.Errorf("%s has no summary for the help", name)
		case (rt.args != "") != (rt.parse != nil):
			t.Errorf("%s: usage arguments %q but parser set %v", name, rt.args, rt.parse != nil)
		case rt.reason != strings.Contains(rt.args, "[-- REASON]"):
			t.Errorf("%s: takes a reason %v, usage %q", name, rt.reason, rt.args)
		case strings.Count(rt.ack, "%") > 1 || (strings.Contains(rt.ack, "%") && !strings.Contains(rt.ack, "%s")):
			t.Errorf("%s: acknowledgement %q may hold one %%s, the key", name, rt.ack)
		}
		names[name] = true
	}
	for _, root := range []string{"exp", "growth"} {
		if !names[root+" help"] {
			t.Errorf("/%s has no help", root)
		}
	}
	actions := map[string]bool{}
	for _, a := range actionRoutes() {
		if actions[a.id] || a.handle == nil {
			t.Errorf("action %q is declared twice or has no handler", a.id)
		}
		actions[a.id] = true
	}
	forms := map[string]bool{}
	for _, s := range submissionRoutes() {
		if forms[s.callbackID] || s.handle == nil {
			t.Errorf("form %q is declared twice or has no handler", s.callbackID)
		}
		forms[s.callbackID] = true
	}
}

// TestGoldenButtonsRouted checks that every button in the golden messages
// has a route: a button without one would answer "belongs to an older
// version of this message".
func TestGoldenButtonsRouted(t *testing.T) {
	routed := newRouteTable(render.CommandNames{}).actions
	// The renderers' golden files and the end-to-end ones of this package.
	var files []string
	for _, dir := range []string{filepath.Join("render", "testdata", "golden"), filepath.Join("testdata", "golden")} {
		found, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil || len(found) == 0 {
			t.Fatalf("no golden files in %s: %v", dir, err)
		}
		files = append(files, found...)
	}
	var walk func(file string, v any)
	walk = func(file string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if id, ok := v["action_id"].(string); ok && v["type"] == "button" && routed[id] == nil {
				t.Errorf("%s: button %q has no route", file, id)
			}
			for _, x := range v {
				walk(file, x)
			}
		case []any:
			for _, x := range v {
				walk(file, x)
			}
		}
	}
	buttons := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		buttons += strings.Count(string(raw), `"button"`)
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		walk(f, v)
	}
	if buttons == 0 {
		t.Fatal("the golden files hold no button")
	}
}
