package templates_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"github.com/growthbot/growthbot/templates"
)

var funcs = template.FuncMap{
	"lift": func(float64) string { return "" }, "mention": func(string) string { return "" },
	"escape": func(string) string { return "" }, "date": func(any) string { return "" }, "command": func(string) string { return "" },
}

func TestEmbeddedFilesParse(t *testing.T) {
	if len(templates.ExampleConfig()) == 0 || len(templates.SlackManifest()) == 0 {
		t.Fatal("the example config or the Slack manifest is missing")
	}
	if got := templates.FrameworkNames(); len(got) < 2 {
		t.Errorf("frameworks %v, want at least clear-signals and do-no-harm", got)
	}
	if _, err := templates.Messages("", funcs); err != nil {
		t.Fatal(err)
	}
}

func TestOverrideFolderReplacesDefinitions(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mine.tmpl"), []byte(`{{define "scorecard.title"}}Our test: {{.Name}}{{end}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tmpl, err := templates.Messages(dir, funcs)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := tmpl.ExecuteTemplate(&b, "scorecard.title", map[string]string{"Name": "X"}); err != nil || b.String() != "Our test: X" {
		t.Errorf("override: %q, %v", b.String(), err)
	}
	if _, err := templates.Messages(filepath.Join(dir, "missing"), funcs); err == nil {
		t.Error("a missing override folder was accepted")
	}
	if err := os.WriteFile(filepath.Join(dir, "broken.tmpl"), []byte(`{{define "x"}}{{.Oops`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := templates.Messages(dir, funcs); err == nil || !strings.Contains(err.Error(), "broken.tmpl") {
		t.Errorf("a broken override: %v, want an error naming the file", err)
	}
}
