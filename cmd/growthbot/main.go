// Command growthbot is a self-hosted Slack bot that keeps a team's
// experiments and rollouts in SQLite, posts scorecards and growth reviews to
// team channels, and takes ship, extend and kill decisions in threads.
//
// This package only wires the parts together: flags and environment, the
// store, the domain service, the Slack adapter and the scheduler.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // team time zones work on machines without a zoneinfo database

	"github.com/growthbot/growthbot/workflows"
)

// command is one growthbot subcommand.
type command struct {
	name    string
	args    string // the usage line after the name
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "[flags]", "run the bot: Slack endpoints, the ingestion API, the scheduler", runServe},
		{"apply", "-f FILE [flags]", "create or update teams, metrics and experiments from a YAML file", runApply},
		{"import", "exposures|events|kpis FILE [flags]", "import data from NDJSON or CSV (- for standard input)", runImport},
		{"stats", "FILE", "compute experiment statistics from a JSON array of cases (- for standard input)", runStats},
		{"jobs", "list | run pulse|rollouts|digest|weekly|housekeeping [flags]", "show or run the scheduled jobs", runJobs},
		{"scorecard", "KEY [--json] [flags]", "print an experiment's scorecard, computed now (--json: one JSON object)", runScorecard},
		{"audit", "[--experiment KEY] [--limit N] [--json]", "list every change: who, when, what and why", runAudit},
		{"demo", "[flags]", "build a demo database and show what the bot would post (no Slack needed)", runDemo},
		{"console", "[flags]", "type slash commands and see the bot's replies in the terminal", runConsole},
		{"source", "test|sql KEY [flags]", "check a warehouse source, or print the SQL a pulse sends it", runSource},
		{"migrate", "[flags]", "create or upgrade the database schema", runMigrate},
		{"backup", "[--db FILE] OUT", "write a consistent copy of the database to OUT, safe while serve runs", runBackup},
		{"version", "", "print the version", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	os.Exit(Main(ctx, e, os.Args[1:]))
}

// env is what a command may use of the process: standard streams and the
// environment. Tests supply their own.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	log    *slog.Logger
}

// errUsage marks an error in the command line itself; it exits with 2.
var errUsage = errors.New("usage")

// usageError returns an error saying what is wrong with the command line.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// Main runs growthbot with the arguments after the program name and returns
// the exit status: 0 for success, 1 for a failure, 2 for a usage error.
func Main(ctx context.Context, e *env, args []string) int {
	if e.log == nil {
		e.log = newLogger(e)
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(e.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(e.stderr, "growthbot %s: %s\nusage: growthbot %s %s\nRun 'growthbot %s --help' for details.\n",
				c.name, strings.TrimPrefix(err.Error(), "usage: "), c.name, c.args, c.name)
			return 2
		}
		reportError(e, c.name, err)
		return 1
	}
	fmt.Fprintf(e.stderr, "growthbot: unknown command %q%s\nRun 'growthbot help' for the list.\n", args[0], suggestCommand(args[0]))
	return 2
}

// reportError is the CLI's one place that turns an error into words: domain
// errors as they are, anything else with its full chain, since the operator
// running the command is the one who needs the detail.
func reportError(e *env, name string, err error) {
	var cfgErr *workflows.ConfigError
	switch {
	case errors.As(err, &cfgErr):
		fmt.Fprintln(e.stderr, cfgErr.Error())
	case workflows.ErrorCode(err) != workflows.EINTERNAL:
		fmt.Fprintf(e.stderr, "growthbot %s: %s\n", name, workflows.ErrorMessage(err))
	default:
		fmt.Fprintf(e.stderr, "growthbot %s: %v\n", name, err)
	}
}

func suggestCommand(name string) string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	if s := workflows.Closest(name, names); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "growthbot: experiment scorecards, decisions and growth reviews in Slack.")
	fmt.Fprintln(w, "\nUsage: growthbot COMMAND [arguments]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'growthbot COMMAND --help' for a command's flags.")
}

// newFlags returns a flag set for a subcommand whose --help prints the usage
// line, the summary and the flags to standard output.
func newFlags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	for _, c := range commands() {
		if c.name == name {
			fs.Usage = func() {
				fs.SetOutput(e.stdout)
				fmt.Fprintf(e.stdout, "usage: growthbot %s %s\n\n%s.\n", c.name, c.args, capitalize(c.summary))
				if hasFlags(fs) {
					fmt.Fprintln(e.stdout, "\nFlags:")
					fs.PrintDefaults()
				}
			}
		}
	}
	return fs
}

// parseFlags parses args, turning flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return err // the flag set has printed the usage
	case err != nil:
		return usageError("%v", err)
	}
	return nil
}

// parseInterleaved parses args whose flags may come before, between or
// after the operands, as in `growthbot import events big.ndjson --db x.db`,
// and returns the operands.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var operands []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return operands, nil
		}
		operands = append(operands, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
