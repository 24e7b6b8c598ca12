package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/internal/pgtest"
)

// streamUntil reads the event stream of the server at url as token until
// a line contains want, or ctx ends; it closes open once the stream has
// started (from then on every new event reaches it).
func streamUntil(ctx context.Context, t *testing.T, url, token, want string, open chan<- struct{}) error {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", url+"/api/v1/events/stream", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("event stream: %d", res.StatusCode)
	}
	sc := bufio.NewScanner(res.Body)
	if sc.Scan() {
		close(open)
	}
	for sc.Scan() {
		if strings.Contains(sc.Text(), want) {
			return nil
		}
	}
	return ctx.Err()
}

// TestTwoInstancesShareOnePostgreSQL: two phasegate serve processes on one
// PostgreSQL database; a client of the first one's event stream sees the
// incident declared through the second.
func TestTwoInstancesShareOnePostgreSQL(t *testing.T) {
	dsn, _ := pgtest.Schema(t, "follow")
	e1, _, _ := testEnv("")
	url1, stop1 := startApp(t, serveConfig{postgres: dsn, demo: true, follow: 50 * time.Millisecond}, e1)
	defer stop1()
	e2, _, _ := testEnv("")
	url2, stop2 := startApp(t, serveConfig{postgres: dsn, follow: 50 * time.Millisecond}, e2)
	defer stop2()
	if code, _, errb := pg(t, "a long enough password\n", "user", "add", "ines", "--role", "incident-commander", "--postgres", dsn, "--password-stdin"); code != 0 {
		t.Fatalf("user add: %s", errb)
	}
	code, tok, errb := pg(t, "", "token", "create", "--user", "ines", "--postgres", dsn)
	if code != 0 {
		t.Fatalf("token create: %s", errb)
	}
	tok = strings.TrimSpace(tok)

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	seen, open := make(chan error, 1), make(chan struct{})
	go func() { seen <- streamUntil(ctx, t, url1, tok, "Declared on the other instance", open) }()
	// Declare on the second instance once the first one's stream is open
	// (it starts at the log's head: earlier events are not replayed).
	<-open
	if code, out, errb := pg(t, "", "incident", "declare", "Declared on the other instance", "--kind", "ransomware",
		"--server", url2, "--token", tok); code != 0 {
		t.Fatalf("declare on the second instance: %d %s %s", code, out, errb)
	}
	if err := <-seen; err != nil {
		t.Fatalf("the first instance's event stream never showed the incident declared on the second: %v", err)
	}
	// The first instance counts it as followed, not as its own.
	res, err := http.Get(url1 + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(body), `phasegate_events_followed_total{type="incident.declared"} 1`) ||
		strings.Contains(string(body), `phasegate_events_appended_total{type="incident.declared"} 2`) {
		t.Errorf("metrics of the first instance:\n%s", grepLines(string(body), "incident.declared"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestBreakGlassWritesReachTheRunningServer: on SQLite, break-glass on
// the host writes to the file the server has open; the server's event
// stream shows it.
func TestBreakGlassWritesReachTheRunningServer(t *testing.T) {
	db := filepath.Join(t.TempDir(), "phasegate.db")
	admin := breakGlassToken(t, db, "ada", "admin")
	e, _, _ := testEnv("")
	url, stop := startApp(t, serveConfig{db: db, follow: 50 * time.Millisecond}, e)
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	seen, open := make(chan error, 1), make(chan struct{})
	go func() { seen <- streamUntil(ctx, t, url, admin, `"name":"bea"`, open) }()
	<-open
	if code, _, errb := pg(t, "a long enough password\n", "user", "add", "bea", "--role", "admin", "--db", db, "--password-stdin"); code != 0 {
		t.Fatalf("user add on the host: %s", errb)
	}
	if err := <-seen; err != nil {
		t.Fatalf("the break-glass account never reached the server's event stream: %v", err)
	}
}
