package httpapi_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/bot/httpapi"
	"github.com/growthbot/growthbot/workflows"
)

// TestAPITokenComparison checks who gets through the API's bearer-token
// check, and that the check compares in constant time.
func TestAPITokenComparison(t *testing.T) {
	imported := 0
	imp := &fakeImporter{importFn: func(importCall) (workflows.ImportReport, error) {
		imported++
		return workflows.ImportReport{}, nil
	}}
	srv := httpapi.NewServer(nil, nil)
	srv.MountAPI(imp, httpapi.APIConfig{Token: apiToken})
	book := &workflows.FlagBook{}
	if err := book.SetFlags([]workflows.Flag{}); err != nil {
		t.Fatal(err)
	}
	srv.MountFlags(book, httpapi.APIConfig{Token: apiToken})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	tests := []struct {
		name, header string
		ok           bool
	}{
		{"the token", "Bearer " + apiToken, true},
		{"the scheme in lower case", "bearer " + apiToken, true},
		{"spaces around the token", "Bearer  " + apiToken + " ", true},
		{"a wrong token of the same length", "Bearer " + strings.Repeat("x", len(apiToken)), false},
		{"the token but one byte", "Bearer " + apiToken[:len(apiToken)-1] + "X", false},
		{"a prefix of the token", "Bearer " + apiToken[:4], false},
		{"the token and more", "Bearer " + apiToken + "x", false},
		{"a longer token", "Bearer " + strings.Repeat(apiToken, 10), false},
		{"no header", "", false},
		{"the scheme alone", "Bearer", false},
		{"the scheme and a space", "Bearer ", false},
		{"no scheme", apiToken, false},
		{"no space after the scheme", "Bearer" + apiToken, false},
		{"another scheme", "Basic " + apiToken, false},
		{"token as the scheme", apiToken + " " + apiToken, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, route := range []struct{ method, path, body string }{
				{http.MethodPost, "/api/v1/events", "[]"},
				{http.MethodGet, "/api/v1/flags", ""},
				{http.MethodPost, "/ofrep/v1/evaluate/flags", `{"context":{"targetingKey":"u"}}`},
			} {
				imported = 0
				req, _ := http.NewRequest(route.method, ts.URL+route.path, strings.NewReader(route.body))
				if tc.header != "" {
					req.Header.Set("Authorization", tc.header)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if got := resp.StatusCode == http.StatusOK; got != tc.ok || (resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusUnauthorized) {
					t.Errorf("%s %s: %d", route.method, route.path, resp.StatusCode)
				}
				if !tc.ok && imported != 0 {
					t.Errorf("%s: imported without the token", route.path)
				}
			}
		})
	}

	// The check hashes both sides to a fixed length and compares the
	// digests with crypto/subtle, so that neither the token's bytes nor
	// its length change how long a refusal takes.
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "api.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var body *ast.BlockStmt
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "authorized" {
			body = fn.Body
		}
	}
	if body == nil {
		t.Fatal("api.go has no authorized method")
	}
	calls := map[string]bool{}
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
				if pkg, ok := sel.X.(*ast.Ident); ok {
					calls[pkg.Name+"."+sel.Sel.Name] = true
				}
			}
		case *ast.BinaryExpr:
			// Only the result of the constant-time comparison is compared.
			if n.Op == token.EQL || n.Op == token.NEQ {
				call, _ := n.X.(*ast.CallExpr)
				if sel, ok := call.Fun.(*ast.SelectorExpr); call == nil || !ok || sel.Sel.Name != "ConstantTimeCompare" {
					t.Errorf("api.go:%d compares with %s outside subtle.ConstantTimeCompare", fset.Position(n.Pos()).Line, n.Op)
				}
			}
		}
		return true
	})
	if !calls["subtle.ConstantTimeCompare"] || !calls["sha256.Sum256"] {
		t.Errorf("authorized does not hash the token and compare with crypto/subtle: calls %v", calls)
	}
	if calls["bytes.Equal"] {
		t.Error("authorized compares with bytes.Equal")
	}
}
