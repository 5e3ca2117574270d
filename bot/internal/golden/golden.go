// Package golden compares what a test renders with the golden files in its
// package's testdata/golden, and rewrites them when the test runs with
// -update. Renderers (bot/render) and the Slack adapter's end-to-end tests
// (bot) share it.
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden with the current output")

// Check compares v, as indented JSON, with testdata/golden/NAME.json, and
// its plain-text rendering with NAME.txt when text is not empty. With
// -update it writes them instead.
func Check(t testing.TB, name string, v any, text string) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	File(t, filepath.Join("testdata", "golden", name+".json"), got)
	if text != "" {
		File(t, filepath.Join("testdata", "golden", name+".txt"), []byte(text))
	}
}

// File compares got with the file at path, or writes it with -update.
func File(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -run %s -update rewrites it):\n--- got\n%s\n--- want\n%s", path, t.Name(), got, want)
	}
}
