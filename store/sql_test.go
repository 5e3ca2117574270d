package store_test

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

// TestEverySQLStatementTakesParameters reads the store's source and follows
// every query handed to database/sql or the driver back to where it is
// built: through local variables, struct fields, function parameters (to
// every call site) and function results. A query may be built only from
// constants, the placeholder helpers of strings (Repeat, Join, Trim...)
// applied to constants, and the helpers listed in sqlHelpers; values
// always travel as arguments, so that no user data ever becomes SQL.
func TestEverySQLStatementTakesParameters(t *testing.T) {
	c := newSQLCheck(t, ".")
	c.run()
	for _, p := range c.problems {
		t.Error(p)
	}
	if c.sinks < 10 || c.params < 5 {
		t.Errorf("the check found only %d queries and %d parameters carrying SQL: is it still reading the store?", c.sinks, c.params)
	}
	t.Logf("%d queries, %d parameters carrying SQL to %d call sites, checked", c.sinks, c.params, c.sites)
}

// TestSQLCheckFindsInjections proves the check above on code that builds
// SQL from data in each way it follows.
func TestSQLCheckFindsInjections(t *testing.T) {
	dir := t.TempDir()
	src := `package bad

import ("context"; "database/sql"; "fmt"; "strings")

const cols = "id, name"

type Tx struct { ctx context.Context; tx *sql.Tx; order string }

func (t *Tx) exec(query string, args ...any) (sql.Result, error) { return t.tx.ExecContext(t.ctx, query, args...) }

func selectWhere(t *Tx, cond string) { t.exec("SELECT " + cols + " FROM teams WHERE " + cond) }

func Good(t *Tx, name string, ids []any) {
	t.exec("SELECT "+cols+" FROM teams WHERE name = ?", name)
	q := "SELECT id FROM teams WHERE id IN (?" + strings.Repeat(", ?", len(ids)-1) + ")"
	t.exec(q, ids...)
	selectWhere(t, "name = ?")
}

func Concatenated(t *Tx, name string) { t.exec("SELECT id FROM teams WHERE name = '" + name + "'") }   // bad 1
func Formatted(t *Tx, id int) { t.exec(fmt.Sprintf("DELETE FROM teams WHERE id = %d", id)) }        // bad 2
func Appended(t *Tx, order string) { q := "SELECT id FROM teams"; q += " ORDER BY " + order; t.exec(q) } // bad 3
func ThroughAParameter(t *Tx, cond string) { selectWhere(t, cond) }                                   // bad 4 (at the caller of this)
func Caller(t *Tx, r *http.Request) { ThroughAParameter(t, r.FormValue("q")) }
func ThroughAField(t *Tx, order string) { t.order = order; t.exec("SELECT id FROM teams ORDER BY " + t.order) } // bad 5
func Direct(db *sql.DB, ctx context.Context, table string) { db.QueryRowContext(ctx, "SELECT count(*) FROM "+table) } // bad 6
`
	if err := os.WriteFile(filepath.Join(dir, "bad.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	c := newSQLCheck(t, dir)
	c.run()
	var lines []int
	for _, p := range c.problems {
		var line int
		fmt.Sscanf(p[strings.Index(p, ":")+1:], "%d", &line)
		lines = append(lines, line)
	}
	slices.Sort(lines)
	if want := []int{20, 21, 22, 23, 24, 25, 26}; !slices.Equal(slices.Compact(lines), want) {
		t.Errorf("problems on lines %v, want %v:\n%s", lines, want, strings.Join(c.problems, "\n"))
	}
}

// sqlHelpers are functions whose result may be SQL although they format a
// value into it, and why that is safe. Each must take only integers.
var sqlHelpers = map[string]string{
	"cacheSizePragma": "a PRAGMA takes no parameters; it formats one int64, which cannot carry SQL",
}

// sqlFields are struct fields that hold SQL from outside the code, and why
// that is safe.
var sqlFields = map[string]string{
	"SQL": "Migration.SQL is a migration file embedded in the binary",
}

// sqlSinks are the database/sql and driver methods that take a query, and
// the index of their query argument.
var sqlSinks = map[string]int{
	"Exec": 0, "Query": 0, "QueryRow": 0, "Prepare": 0,
	"ExecContext": 1, "QueryContext": 1, "QueryRowContext": 1, "PrepareContext": 1,
}

type sqlCheck struct {
	t        *testing.T
	fset     *token.FileSet
	consts   map[string]bool
	funcs    map[string][]*ast.FuncDecl
	calls    []callSite
	writes   map[string][]exprIn // field name -> the values assigned to it
	done     map[string]bool     // parameters and functions checked or being checked
	problems []string

	sinks, params, sites int
}

type callSite struct {
	call *ast.CallExpr
	fn   *ast.FuncDecl
}

type exprIn struct {
	e  ast.Expr
	fn *ast.FuncDecl // nil at package level
}

func newSQLCheck(t *testing.T, dir string) *sqlCheck {
	t.Helper()
	c := &sqlCheck{t: t, fset: token.NewFileSet(), consts: map[string]bool{}, funcs: map[string][]*ast.FuncDecl{},
		writes: map[string][]exprIn{}, done: map[string]bool{}}
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(c.fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				if d.Tok == token.CONST {
					for _, s := range d.Specs {
						for _, n := range s.(*ast.ValueSpec).Names {
							c.consts[n.Name] = true
						}
					}
				}
				c.collectWrites(d, nil)
			case *ast.FuncDecl:
				c.funcs[d.Name.Name] = append(c.funcs[d.Name.Name], d)
				if d.Body != nil {
					c.collectWrites(d.Body, d)
					ast.Inspect(d.Body, func(n ast.Node) bool {
						if call, ok := n.(*ast.CallExpr); ok {
							c.calls = append(c.calls, callSite{call, d})
						}
						return true
					})
				}
			}
		}
	}
	for name := range sqlHelpers {
		for _, fd := range c.funcs[name] {
			for _, p := range fd.Type.Params.List {
				if id, ok := p.Type.(*ast.Ident); !ok || !slices.Contains([]string{"int", "int32", "int64", "uint", "uint32", "uint64"}, id.Name) {
					c.problems = append(c.problems, fmt.Sprintf("%s: helper %s takes a %s; SQL helpers may take only integers",
						c.pos(fd), name, types.ExprString(p.Type)))
				}
			}
		}
	}
	return c
}

// collectWrites records every value given to a struct field, by field name.
func (c *sqlCheck) collectWrites(n ast.Node, fn *ast.FuncDecl) {
	ast.Inspect(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				if sel, ok := l.(*ast.SelectorExpr); ok && len(n.Lhs) == len(n.Rhs) {
					c.writes[sel.Sel.Name] = append(c.writes[sel.Sel.Name], exprIn{n.Rhs[i], fn})
				}
			}
		case *ast.KeyValueExpr:
			if key, ok := n.Key.(*ast.Ident); ok {
				c.writes[key.Name] = append(c.writes[key.Name], exprIn{n.Value, fn})
			}
		}
		return true
	})
}

func (c *sqlCheck) pos(n ast.Node) string {
	p := c.fset.Position(n.Pos())
	return fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line)
}

// run checks the query of every call to database/sql or the driver.
func (c *sqlCheck) run() {
	for _, s := range c.calls {
		sel, ok := s.call.Fun.(*ast.SelectorExpr)
		if !ok {
			continue
		}
		i, ok := sqlSinks[sel.Sel.Name]
		// A prepared statement's methods take only arguments: (ctx, args...).
		if !ok || len(s.call.Args) <= i || (s.call.Ellipsis.IsValid() && len(s.call.Args) == i+1) {
			continue
		}
		c.sinks++
		if bad := c.unsafe(s.call.Args[i], s.fn); bad != nil {
			c.problems = append(c.problems, fmt.Sprintf("%s: the query given to %s is built from %s (%s), not from constants and placeholders",
				c.pos(s.call), sel.Sel.Name, types.ExprString(bad), c.pos(bad)))
		}
	}
}

// unsafe returns the part of e that is not built from constants,
// placeholders and safe helpers, or nil when all of it is.
func (c *sqlCheck) unsafe(e ast.Expr, fn *ast.FuncDecl) ast.Expr {
	if x := operand(e); x != nil {
		return c.unsafe(x, fn)
	}
	switch e := e.(type) {
	case *ast.BasicLit:
		return nil
	case *ast.Ident:
		return c.unsafeIdent(e, fn)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return nil // arithmetic and comparisons make numbers and booleans, never text
		}
		if bad := c.unsafe(e.X, fn); bad != nil {
			return bad
		}
		return c.unsafe(e.Y, fn)
	case *ast.CompositeLit:
		for _, el := range e.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				el = kv.Value
			}
			if bad := c.unsafe(el, fn); bad != nil {
				return bad
			}
		}
		return nil
	case *ast.SelectorExpr:
		if _, ok := sqlFields[e.Sel.Name]; ok {
			return nil
		}
		if pkg, ok := e.X.(*ast.Ident); ok && c.isImport(pkg.Name, fn) {
			return e // another package's value: not known to be constant
		}
		return c.unsafeField(e)
	case *ast.CallExpr:
		return c.unsafeCall(e, fn)
	}
	return e
}

// operand returns the one value e is made of when e only wraps it: in
// parentheses, dereferenced, an element or slice of a collection, a type
// assertion. Otherwise it returns nil.
func operand(e ast.Expr) ast.Expr {
	switch e := e.(type) {
	case *ast.ParenExpr:
		return e.X
	case *ast.StarExpr:
		return e.X
	case *ast.UnaryExpr:
		return e.X
	case *ast.IndexExpr:
		return e.X
	case *ast.SliceExpr:
		return e.X
	case *ast.TypeAssertExpr:
		return e.X
	}
	return nil
}

// isImport reports whether name is not declared in fn, so refers to a
// package (the check has no type information).
func (c *sqlCheck) isImport(name string, fn *ast.FuncDecl) bool {
	return fn == nil || (paramIndex(fn, name) < 0 && len(localDefs(fn, name)) == 0 && !isReceiver(fn, name))
}

func isReceiver(fn *ast.FuncDecl, name string) bool {
	if fn.Recv == nil {
		return false
	}
	for _, f := range fn.Recv.List {
		for _, n := range f.Names {
			if n.Name == name {
				return true
			}
		}
	}
	return false
}

func (c *sqlCheck) unsafeIdent(id *ast.Ident, fn *ast.FuncDecl) ast.Expr {
	if fn != nil {
		if i := paramIndex(fn, id.Name); i >= 0 {
			c.checkParam(fn.Name.Name, i)
			return nil
		}
		if defs := localDefs(fn, id.Name); len(defs) > 0 {
			key := fmt.Sprintf("local %p %s", fn, id.Name)
			if c.done[key] {
				return nil // being checked further up: its other definitions decide
			}
			c.done[key] = true
			defer delete(c.done, key)
			for _, d := range defs {
				var bad ast.Expr
				if d.call != nil {
					bad = c.unsafeResult(d.call, d.index, fn)
				} else {
					bad = c.unsafe(d.e, fn)
				}
				if bad != nil {
					return bad
				}
			}
			return nil
		}
	}
	if c.consts[id.Name] {
		return nil
	}
	return id
}

// unsafeField checks every value the package gives a field of that name.
func (c *sqlCheck) unsafeField(sel *ast.SelectorExpr) ast.Expr {
	key := "field " + sel.Sel.Name
	if c.done[key] {
		return nil
	}
	c.done[key] = true
	defer delete(c.done, key)
	writes := c.writes[sel.Sel.Name]
	if len(writes) == 0 {
		return sel
	}
	for _, w := range writes {
		if bad := c.unsafe(w.e, w.fn); bad != nil {
			return bad
		}
	}
	return nil
}

// callee is what a call calls, a generic function's instantiation
// unwrapped.
func callee(call *ast.CallExpr) ast.Expr {
	switch f := call.Fun.(type) {
	case *ast.IndexExpr:
		return f.X
	case *ast.IndexListExpr:
		return f.X
	}
	return call.Fun
}

// calleeName is the name of the function or method a call calls.
func calleeName(call *ast.CallExpr) string {
	switch f := callee(call).(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

func (c *sqlCheck) unsafeCall(call *ast.CallExpr, fn *ast.FuncDecl) ast.Expr {
	fun := callee(call)
	all := func(args []ast.Expr) ast.Expr {
		for _, a := range args {
			if bad := c.unsafe(a, fn); bad != nil {
				return bad
			}
		}
		return nil
	}
	switch f := fun.(type) {
	case *ast.Ident:
		switch {
		case f.Name == "append" || f.Name == "string":
			return all(call.Args)
		case f.Name == "len" || f.Name == "min" || f.Name == "max":
			return nil
		case sqlHelpers[f.Name] != "":
			return nil
		case len(c.funcs[f.Name]) > 0:
			return c.unsafeResult(call, 0, fn)
		}
	case *ast.SelectorExpr:
		if pkg, ok := f.X.(*ast.Ident); ok && pkg.Name == "strings" && c.isImport("strings", fn) {
			switch f.Sel.Name {
			case "Repeat": // the count is a number
				return c.unsafe(call.Args[0], fn)
			case "Join", "TrimSuffix", "TrimPrefix", "TrimSpace", "Trim", "TrimLeft", "TrimRight", "ToUpper", "ToLower":
				return all(call.Args)
			}
			return call
		}
		if sqlHelpers[f.Sel.Name] != "" {
			return nil
		}
		if len(c.funcs[f.Sel.Name]) > 0 {
			return c.unsafeResult(call, 0, fn)
		}
	}
	return call
}

// unsafeResult checks result index of every function the call may call,
// by name, at each of its returns.
func (c *sqlCheck) unsafeResult(call *ast.CallExpr, index int, fn *ast.FuncDecl) ast.Expr {
	name := calleeName(call)
	if sqlHelpers[name] != "" {
		return nil
	}
	if len(c.funcs[name]) == 0 {
		return call
	}
	key := fmt.Sprintf("result %s %d", name, index)
	if c.done[key] {
		return nil
	}
	c.done[key] = true
	defer delete(c.done, key)
	for _, fd := range c.funcs[name] {
		var bad ast.Expr
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			if bad != nil {
				return false
			}
			switch n := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ReturnStmt:
				switch {
				case len(n.Results) > index:
					bad = c.unsafe(n.Results[index], fd)
				case len(n.Results) == 1:
					if inner, ok := n.Results[0].(*ast.CallExpr); ok {
						bad = c.unsafeResult(inner, index, fd)
					}
				}
			}
			return true
		})
		if bad != nil {
			return bad
		}
	}
	return nil
}

// checkParam checks, at every call site, the argument given to parameter
// index of the functions named name: it ends up in SQL.
func (c *sqlCheck) checkParam(name string, index int) {
	key := fmt.Sprintf("param %s %d", name, index)
	if c.done[key] {
		return
	}
	c.done[key] = true
	c.params++
	for _, fd := range c.funcs[name] {
		if fd.Name.IsExported() {
			// Callers outside the package can pass anything.
			c.problems = append(c.problems, fmt.Sprintf("%s: %s is exported, and its parameter %d ends up in SQL; take values as arguments",
				c.pos(fd), name, index+1))
		}
	}
	for _, s := range c.calls {
		if calleeName(s.call) != name || len(s.call.Args) <= index {
			continue
		}
		c.sites++
		if bad := c.unsafe(s.call.Args[index], s.fn); bad != nil {
			c.problems = append(c.problems, fmt.Sprintf("%s: %s is given %s (%s), which ends up in SQL; build it from constants and placeholders",
				c.pos(s.call), name, types.ExprString(bad), c.pos(bad)))
		}
	}
}

// paramIndex is the position of fn's parameter name, or -1.
func paramIndex(fn *ast.FuncDecl, name string) int {
	i := 0
	for _, f := range fn.Type.Params.List {
		if len(f.Names) == 0 {
			i++
		}
		for _, n := range f.Names {
			if n.Name == name {
				return i
			}
			i++
		}
	}
	return -1
}

// localDef is one way a local variable gets a value: an expression, or
// result index of a call.
type localDef struct {
	e     ast.Expr
	call  *ast.CallExpr
	index int
}

// localDefs returns every value fn gives a variable of that name.
func localDefs(fn *ast.FuncDecl, name string) []localDef {
	var defs []localDef
	add := func(lhs []ast.Expr, rhs []ast.Expr) {
		for i, l := range lhs {
			id, ok := l.(*ast.Ident)
			if !ok || id.Name != name {
				continue
			}
			switch {
			case len(lhs) == len(rhs):
				defs = append(defs, localDef{e: rhs[i]})
			case len(rhs) == 1:
				if call, ok := rhs[0].(*ast.CallExpr); ok {
					defs = append(defs, localDef{call: call, index: i})
				} else {
					defs = append(defs, localDef{e: rhs[0]}) // v, ok := m[k] or x.(T)
				}
			}
		}
	}
	if fn.Body == nil {
		return nil
	}
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			add(n.Lhs, n.Rhs)
		case *ast.ValueSpec:
			var lhs []ast.Expr
			for _, id := range n.Names {
				lhs = append(lhs, id)
			}
			if len(n.Values) == 0 {
				for _, id := range n.Names {
					if id.Name == name {
						defs = append(defs, localDef{e: &ast.BasicLit{Kind: token.STRING, Value: `""`}})
					}
				}
			}
			add(lhs, n.Values)
		case *ast.RangeStmt:
			for _, v := range []ast.Expr{n.Key, n.Value} {
				if id, ok := v.(*ast.Ident); ok && id.Name == name {
					defs = append(defs, localDef{e: n.X})
				}
			}
		}
		return true
	})
	return defs
}

// TestAggregateFiltersManyEventNames covers the IN list of event ids the
// aggregation's query uses when the ids are too big for a bit mask: its
// placeholders must keep exactly the needed events.
func TestAggregateFiltersManyEventNames(t *testing.T) {
	db := MustOpenDB(t)
	db.Now = func() time.Time { return aggTestNow }
	e := workflows.Experiment{Key: "checkout", Variants: variants("control", "treatment"), StartedAt: aggTestNow.Add(-10 * 24 * time.Hour),
		PrimaryMetrics: []string{"purchase"}, GuardrailMetrics: []string{"errors"}}
	mustSetUp(t, db, aggMetrics, e)
	// Seventy other events first, so that the metrics' events get ids
	// past the mask's 63 bits.
	var fillers []rawEvent
	for i := range 70 {
		fillers = append(fillers, rawEvent{unit: "filler", name: fmt.Sprintf("filler_%d", i), at: aggTestNow.Add(-time.Hour).UnixMilli(), value: 1})
	}
	importRaw(t, db, nil, fillers)
	exposures, events := randomData(rand.New(rand.NewPCG(7, 2)), []workflows.Experiment{e}, 300)
	importRaw(t, db, exposures, events)
	req := workflows.AggregateRequest{Experiment: e, Start: e.StartedAt, End: aggTestNow,
		Metrics: []workflows.Metric{aggMetrics[0], aggMetrics[4]}}
	got, err := db.Aggregate(context.Background(), []workflows.AggregateRequest{req})
	if err != nil {
		t.Fatal(err)
	}
	compareAggregates(t, got[0], reference(req, exposures, events))
}
