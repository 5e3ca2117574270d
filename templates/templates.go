// Package templates holds what growthbot embeds besides code: message
// templates, decision frameworks, the Slack app manifest and the example
// config. It is data only and imports nothing of growthbot's.
package templates

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
)

//go:embed growthbot.example.yaml frameworks/*.yaml slack/manifest.yaml messages/*.tmpl
var files embed.FS

// FS returns every embedded file.
func FS() fs.FS { return files }

// ExampleConfig returns templates/growthbot.example.yaml.
func ExampleConfig() []byte { return mustRead("growthbot.example.yaml") }

// SlackManifest returns the Slack app manifest.
func SlackManifest() []byte { return mustRead("slack/manifest.yaml") }

// FrameworkNames returns the names of the embedded decision frameworks.
func FrameworkNames() []string {
	names, _ := fs.Glob(files, "frameworks/*.yaml")
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, strings.TrimSuffix(path.Base(n), ".yaml"))
	}
	sort.Strings(out)
	return out
}

// mustRead reads an embedded file; the names are constants checked by the
// package's tests, so a missing file cannot reach a user.
func mustRead(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		return nil
	}
	return b
}

// Frameworks returns the embedded decision frameworks' files by name.
func Frameworks() map[string][]byte {
	out := map[string][]byte{}
	for _, name := range FrameworkNames() {
		out[name] = mustRead("frameworks/" + name + ".yaml")
	}
	return out
}

// Messages parses the message templates: the embedded ones, then any *.tmpl
// files in dir (when set), whose definitions replace the embedded ones of the
// same name. funcs are the functions the templates may call.
func Messages(dir string, funcs template.FuncMap) (*template.Template, error) {
	t := template.New("messages").Funcs(funcs).Option("missingkey=error")
	names, _ := fs.Glob(files, "messages/*.tmpl")
	sort.Strings(names)
	// text/template lets a later file silently replace a name an earlier one
	// defined; among the embedded files that is always a mistake.
	definedIn := map[string]string{}
	for _, name := range names {
		one, err := template.New(path.Base(name)).Funcs(funcs).Parse(string(mustRead(name)))
		if err != nil {
			return nil, fmt.Errorf("templates: %s: %w", name, err)
		}
		for _, def := range one.Templates() {
			if def.Name() == one.Name() {
				continue
			}
			if other, dup := definedIn[def.Name()]; dup {
				return nil, fmt.Errorf("templates: %q is defined in both %s and %s", def.Name(), other, name)
			}
			definedIn[def.Name()] = name
		}
		if _, err := t.New(path.Base(name)).Parse(string(mustRead(name))); err != nil {
			return nil, fmt.Errorf("templates: %s: %w", name, err)
		}
	}
	if dir == "" {
		return t, nil
	}
	overrides, err := filepath.Glob(filepath.Join(dir, "*.tmpl"))
	if err != nil {
		return nil, fmt.Errorf("templates: %s: %w", dir, err)
	}
	if len(overrides) == 0 {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("templates: the override folder %s: %w", dir, err)
		}
	}
	for _, name := range overrides {
		body, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		if _, err := t.New("override-" + filepath.Base(name)).Parse(string(body)); err != nil {
			return nil, fmt.Errorf("templates: %s: %w", name, err)
		}
	}
	return t, nil
}
