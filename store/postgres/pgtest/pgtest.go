// Package pgtest gives tests a real PostgreSQL database.
//
// With GROWTHBOT_TEST_POSTGRES set (a DSN to a server where the user may
// create databases; .ci/run starts such a server), each test gets a fresh
// database on it. Without it, the test process starts its own throw-away
// cluster with initdb, found on PATH or in Debian's /usr/lib/postgresql, and
// stops it when the tests end (call Main from TestMain). When neither
// works, tests fail under CI (CI=true) and are skipped elsewhere, saying
// why.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the variable with a server DSN for tests.
const EnvDSN = "GROWTHBOT_TEST_POSTGRES"

var (
	once    sync.Once
	server  string // the server's DSN
	why     string // why there is none
	cluster *Cluster
)

// Main runs the tests and stops the cluster they started, if any.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the cluster the tests started, if any: call it from TestMain.
func Stop() {
	if cluster != nil {
		cluster.Stop()
	}
}

// Password is the password of user postgres in the clusters Start makes:
// connections over TCP need it, so that tests can see a wrong one refused.
const Password = "growthbot-test"

// DSN returns the DSN of a new, empty database, dropped when the test ends.
func DSN(tb testing.TB) string {
	tb.Helper()
	once.Do(func() {
		if server = os.Getenv(EnvDSN); server != "" {
			return
		}
		c, err := Start(os.TempDir())
		if err != nil {
			why = err.Error()
			return
		}
		cluster, server = c, c.DSN
	})
	if server == "" {
		msg := fmt.Sprintf("no PostgreSQL for tests: %s is not set and starting a cluster failed: %s", EnvDSN, why)
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		tb.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	name := "growthbot_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	tb.Cleanup(func() {
		if os.Getenv("GROWTHBOT_TEST_POSTGRES_KEEP") != "" {
			tb.Logf("pgtest: kept database %s", name)
			return
		}
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(server)
	if err != nil {
		tb.Fatalf("pgtest: %s is not a URL DSN: %v", EnvDSN, err)
	}
	u.Path = "/" + name
	return u.String()
}

// Cluster is a throw-away PostgreSQL cluster.
type Cluster struct {
	Dir  string
	DSN  string
	bin  string
	user string // runs the server, when this process is root
}

// Start initializes and starts a cluster in a new directory under parent,
// on a free loopback port, where user postgres logs in with Password.
func Start(parent string) (*Cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(parent, "growthbot-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		// initdb refuses to run as root.
		for _, name := range []string{"postgres", "nobody"} {
			if u, err := user.Lookup(name); err == nil {
				uid, _ := strconv.Atoi(u.Uid)
				gid, _ := strconv.Atoi(u.Gid)
				if err := os.Chown(dir, uid, gid); err != nil {
					return nil, err
				}
				c.user = name
				break
			}
		}
		if c.user == "" {
			return nil, fmt.Errorf("running as root and there is no postgres or nobody user to run the server")
		}
	}
	data := filepath.Join(dir, "data")
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(Password+"\n"), 0o644); err != nil {
		return nil, err
	}
	if out, err := c.run("initdb", "-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
		"--pwfile="+pwfile, "-E", "UTF8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off", port, dir)
	if out, err := c.run("pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts, "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pg_ctl start: %v: %s %s", err, out, log)
	}
	c.DSN = fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/postgres?sslmode=disable", Password, port)
	return c, nil
}

// Stop stops the server and removes its directory.
func (c *Cluster) Stop() {
	c.run("pg_ctl", "-D", filepath.Join(c.Dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(c.Dir)
}

func (c *Cluster) run(tool string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, tool)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var cmd *exec.Cmd
	if c.user != "" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", c.user, "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	cmd.Dir = c.Dir
	return cmd.CombinedOutput()
}

// findBin finds the directory of initdb and pg_ctl.
func findBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) > 0 {
		return filepath.Dir(matches[len(matches)-1]), nil
	}
	return "", fmt.Errorf("initdb is not installed (apt-get install postgresql)")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Exec runs statements on a database, for test data.
func Exec(tb testing.TB, dsn string, statements ...string) {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	for _, s := range statements {
		if _, err := conn.Exec(ctx, s); err != nil {
			tb.Fatalf("pgtest: %s: %v", strings.SplitN(s, "\n", 2)[0], err)
		}
	}
}
