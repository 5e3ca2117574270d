package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/growthbot/growthbot/bot/httpapi"
	"github.com/growthbot/growthbot/workflows"
	"github.com/growthbot/growthbot/workflows/codec"
)

// progressInterval is how often a long import says how far it got; tests
// shorten it.
var progressInterval = time.Second

func runImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "import")
	dbPath := dbFlag(e, fs)
	format := fs.String("format", "", "ndjson, json or csv (default: by the file's extension, else by its first byte)")
	progress := fs.Bool("progress", false, "report progress even when standard error is not a terminal")
	// Flags may come before, between or after the kind and the file.
	operands, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(operands) != 2 {
		return usageError("give what to import (exposures, events or kpis) and a file (- for standard input)")
	}
	kind, err := workflows.ParseImportKind(operands[0])
	if err != nil {
		return usageError("%s", workflows.ErrorMessage(err))
	}
	f, err := codec.ParseFormat(*format)
	if err != nil {
		return usageError("%s", workflows.ErrorMessage(err))
	}
	path := operands[1]
	if f == codec.FormatAuto {
		f = codec.FormatOf(path)
	}
	in, err := openImport(e, path)
	if err != nil {
		return err
	}
	defer in.Close()

	a, err := openApp(ctx, e, *dbPath, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	db, svc := a.db, a.svc
	var opts workflows.ImportOptions
	if terminal := isTerminal(e.stderr); *progress || terminal {
		stop := showProgress(e, in, &opts, terminal)
		defer stop()
	}
	report, err := codec.Import(ctx, svc, kind, in, f, in.name, opts)
	if err != nil {
		return err
	}
	rate := float64(report.Read) / max(report.Duration.Seconds(), 1e-9)
	fmt.Fprintf(e.stdout, "imported %s from %s into %s: %s read, %s imported, %s (%s, %s rows/s)\n",
		kind, in.name, db.Path(), count(report.Read, "row"), thousands(report.Imported), count(report.Duplicates, "duplicate"),
		report.Duration.Round(time.Millisecond), thousands(int64(rate)))
	return nil
}

// importFile is the input of an import: a file or standard input,
// decompressed when gzipped, counting the bytes read for progress.
type importFile struct {
	io.Reader
	name  string
	size  int64 // of the file as stored; 0 when unknown
	read  atomic.Int64
	close func() error
}

func (f *importFile) Close() error { return f.close() }

// countingReader counts the bytes read from the file itself, before any
// decompression, so that progress compares like with like.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// openImport opens path ("-" for standard input), gunzipping it when its
// name ends in .gz or its bytes say it is gzip.
func openImport(e *env, path string) (*importFile, error) {
	f := &importFile{name: path, close: func() error { return nil }}
	var raw io.Reader
	if path == "-" {
		f.name, raw = "<stdin>", e.stdin
	} else {
		file, err := os.Open(path)
		if err != nil {
			return nil, workflows.Errorf(workflows.EINVALID, "cannot read %s: %v", path, unwrapPathError(err))
		}
		if st, err := file.Stat(); err == nil {
			f.size = st.Size()
		}
		raw, f.close = file, file.Close
	}
	br := bufio.NewReaderSize(countingReader{raw, &f.read}, 1<<16)
	f.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) || strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.close()
			return nil, workflows.Errorf(workflows.EINVALID, "%s is not gzip: %v", f.name, err)
		}
		f.Reader = zr
	}
	return f, nil
}

// isTerminal reports whether w is a terminal (a character device), where
// a progress line helps rather than clutters a log.
func isTerminal(w io.Writer) bool {
	file, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := file.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// showProgress reports the rows read every second on standard error, with
// the share of the file when its size is known: on a terminal, on one line
// that it rewrites and clears at the end; elsewhere (a log), a line each
// time. The returned function stops it.
func showProgress(e *env, in *importFile, opts *workflows.ImportOptions, terminal bool) (stop func()) {
	var rows atomic.Int64
	opts.Progress = func(n int64) { rows.Store(n) }
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(progressInterval)
		defer tick.Stop()
		start := time.Now()
		for {
			select {
			case <-done:
				if terminal {
					fmt.Fprint(e.stderr, "\r\033[K")
				}
				return
			case <-tick.C:
			}
			line := fmt.Sprintf("import %s: %s rows (%s rows/s)", in.name, thousands(rows.Load()),
				thousands(int64(float64(rows.Load())/time.Since(start).Seconds())))
			if in.size > 0 {
				line += fmt.Sprintf(", %d%% of the file", 100*in.read.Load()/in.size)
			}
			if terminal {
				fmt.Fprint(e.stderr, "\r\033[K"+line)
			} else {
				fmt.Fprintln(e.stderr, line)
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// count says "1 row" or "1,234 rows".
func count(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return thousands(n) + " " + noun + "s"
}

// thousands formats n with thousands separators: 1,234,567.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

// API settings, for `growthbot serve`.
const (
	envMaxBody  = "GROWTHBOT_MAX_BODY"
	envMaxItems = "GROWTHBOT_MAX_ITEMS"
)

// apiFlags adds the HTTP API's flags to serve's flag set; the returned
// function, called after parsing, gives the API's configuration, the token
// read from the environment only.
func apiFlags(e *env, fs *flag.FlagSet) func() (httpapi.APIConfig, error) {
	maxBody := fs.String("max-body", envOr(e, envMaxBody, strconv.Itoa(httpapi.DefaultMaxBody)),
		"largest API request body in bytes; larger ones get 413 (env "+envMaxBody+")")
	maxItems := fs.String("max-items", envOr(e, envMaxItems, strconv.Itoa(httpapi.DefaultMaxItems)),
		"most rows in one API request; more get 413 (env "+envMaxItems+")")
	return func() (httpapi.APIConfig, error) {
		cfg := httpapi.APIConfig{Token: e.getenv(envAPIToken)}
		for _, v := range []struct {
			name, value string
			to          *int64
		}{{"--max-body", *maxBody, &cfg.MaxBody}, {"--max-items", *maxItems, &cfg.MaxItems}} {
			n, err := strconv.ParseInt(v.value, 10, 64)
			if err != nil || n <= 0 {
				return cfg, usageError("%s %q: give a positive whole number", v.name, v.value)
			}
			*v.to = n
		}
		if cfg.Token == "" {
			e.log.Warn("the HTTP API is disabled: set " + envAPIToken + " to enable /api/v1")
		}
		return cfg, nil
	}
}
