// Package templates holds what growthbot embeds besides code: message
// templates, decision frameworks, the Slack app manifest and the example
// config. It is data only and imports nothing of growthbot's.
package templates

import (
	"embed"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed growthbot.example.yaml frameworks/*.yaml slack/manifest.yaml
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
