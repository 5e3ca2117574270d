package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"go.yaml.in/yaml/v3"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/templates"
)

// slackCalls maps each slack-go Client method growthbot calls to the Web
// API methods it makes. TestManifestScopes fails when the code calls a
// Client method missing here.
var slackCalls = map[string][]string{
	"PostMessageContext":            {"chat.postMessage"},
	"UpdateMessageContext":          {"chat.update"},
	"PostEphemeralContext":          {"chat.postEphemeral"},
	"GetConversationHistoryContext": {"conversations.history"},
	"GetConversationRepliesContext": {"conversations.replies"},
	"GetConversationInfoContext":    {"conversations.info"},
	"JoinConversationContext":       {"conversations.join"},
	"UploadFileContext":             {"files.getUploadURLExternal", "files.completeUploadExternal"},
	"OpenViewContext":               {"views.open"},
	"PublishViewContext":            {"views.publish"},
	"OpenView":                      {"views.open"},
	"PublishView":                   {"views.publish"},
	"AuthTestContext":               {"auth.test"},
	"Debug":                         nil, // not an API call
}

// scopesBeyondMethods are scopes no Web API method needs: slash commands,
// and posting to a public channel the bot is not in (yet).
var scopesBeyondMethods = []string{"commands", "chat:write.public"}

// manifestScopes returns the bot scopes the Slack manifest asks for.
func manifestScopes(t *testing.T) []string {
	t.Helper()
	var m struct {
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
	}
	if err := yaml.Unmarshal(templates.SlackManifest(), &m); err != nil {
		t.Fatal(err)
	}
	return m.OAuth.Scopes.Bot
}

// clientMethodsCalled returns the *slack.Client methods the production code
// of bot, its packages (the outbox, the renderers) and cmd/growthbot names in
// a call. The fake Slack, the mocks and the test support are not production
// code.
func clientMethodsCalled(t *testing.T) []string {
	t.Helper()
	client := reflect.TypeOf(&slack.Client{})
	var found []string
	dirs := []string{"."}
	err := filepath.WalkDir("../../bot", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		switch d.Name() {
		case "fakeslack", "mock", "internal", "testdata":
			return filepath.SkipDir
		}
		dirs = append(dirs, path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 3 {
		t.Fatalf("found only %q: where is bot's code?", dirs)
	}
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok {
					if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
						if _, ok := client.MethodByName(sel.Sel.Name); ok && !slices.Contains(found, sel.Sel.Name) {
							found = append(found, sel.Sel.Name)
						}
					}
				}
				return true
			})
		}
	}
	return found
}

// The manifest asks for exactly the scopes the code needs: those of every
// Web API method it calls (for public and private channels alike), plus
// commands and chat:write.public.
func TestManifestScopes(t *testing.T) {
	need := slices.Clone(scopesBeyondMethods)
	for _, name := range clientMethodsCalled(t) {
		apiMethods, known := slackCalls[name]
		if !known {
			t.Errorf("the code calls slack.Client.%s: add it to slackCalls with the Web API methods it makes", name)
		}
		for _, m := range apiMethods {
			scopes := fakeslack.MethodScopes(m)
			// A method on public or private channels takes either scope;
			// team channels may be either, so growthbot needs both.
			if slices.ContainsFunc(scopes, func(s string) bool { return strings.HasPrefix(s, "channels:") }) {
				scopes = slices.DeleteFunc(slices.Clone(scopes), func(s string) bool {
					return !strings.HasPrefix(s, "channels:") && !strings.HasPrefix(s, "groups:")
				})
			}
			for _, s := range scopes {
				if !slices.Contains(need, s) {
					need = append(need, s)
				}
			}
		}
	}
	got := manifestScopes(t)
	slices.Sort(need)
	slices.Sort(got)
	if !slices.Equal(got, need) {
		t.Errorf("the manifest asks for %q; the code needs %q", got, need)
	}
}
