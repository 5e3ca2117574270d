package stats_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPureImports holds the package to its comment: pure math, no I/O, no
// clock, no randomness, no logging and nothing else from growthbot.
func TestPureImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	forbidden := func(path string) bool {
		switch path {
		case "os", "io/ioutil", "log", "log/slog", "time", "math/rand", "math/rand/v2",
			"crypto/rand", "syscall", "unsafe", "runtime", "plugin":
			return true
		}
		for _, prefix := range []string{"os/", "net", "log/", "github.com/growthbot/growthbot"} {
			if strings.HasPrefix(path, prefix) {
				return true
			}
		}
		return false
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if forbidden(path) {
				t.Errorf("%s imports %q", name, path)
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no source files found")
	}
}
