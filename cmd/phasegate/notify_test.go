package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/phasegate/phasegate/server"
)

// TestServeNotifiesAWebhook: serve --notify posts an incident declared
// over the API to a webhook on 127.0.0.1, signed with the secret file's
// content and linked to the public address.
func TestServeNotifiesAWebhook(t *testing.T) {
	got := make(chan *http.Request, 10)
	bodies := make(chan []byte, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- b
	}))
	defer hook.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "phasegate.db")
	secretFile := filepath.Join(dir, "hook.secret")
	if err := os.WriteFile(secretFile, []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ic := breakGlassToken(t, db, "ines", "incident-commander")
	e, _, _ := testEnv("")
	url, stop := startApp(t, serveConfig{db: db, estatePaths: []string{filepath.Join("..", "..", "examples", "northfield-motors")},
		notify: []string{hook.URL + "/hooks/abc"}, notifySecret: secretFile,
		publicURL: "https://phasegate.example.internal"}, e)
	defer stop()
	if code, out, errb := pg(t, "", "incident", "declare", "Webhook test", "--kind", "ransomware", "--server", url, "--token", ic); code != 0 {
		t.Fatalf("declare: %d %s %s", code, out, errb)
	}
	// The estate loaded at start is told first (estate.uploaded), then
	// the incident.
	var types []string
	for len(types) < 2 {
		select {
		case r := <-got:
			body := <-bodies
			var n server.Notification
			if err := json.Unmarshal(body, &n); err != nil {
				t.Fatal(err)
			}
			types = append(types, n.Type)
			t.Logf("%s: %s (%s)", n.Type, n.Text, n.Link)
			mac := hmac.New(sha256.New, []byte("0123456789abcdef0123456789abcdef"))
			mac.Write(body)
			if r.Header.Get("X-Phasegate-Signature") != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
				t.Errorf("%s: signature %q does not match", n.Type, r.Header.Get("X-Phasegate-Signature"))
			}
			if n.Type == "incident.declared" && (!strings.Contains(n.Text, "ines") || n.Link != "https://phasegate.example.internal/incidents/1") {
				t.Errorf("notification %+v", n)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("the webhook heard only %v", types)
		}
	}
	if strings.Join(types, ",") != "estate.uploaded,incident.declared" {
		t.Errorf("the webhook heard %v", types)
	}
}

// TestServeNotifyFlags: what goes with --notify is refused without it,
// and a bad address or a short secret is said plainly.
func TestServeNotifyFlags(t *testing.T) {
	dir := t.TempDir()
	if code, _, errb := pg(t, "", "serve", "--notify-events", "approval.", "--db", filepath.Join(dir, "a.db")); code != exitUsage || !strings.Contains(errb, "--notify URL") {
		t.Errorf("--notify-events alone: exit %d, %s", code, errb)
	}
	if code, _, errb := pg(t, "", "serve", "--notify-max-age", "1h", "--db", filepath.Join(dir, "a.db")); code != exitUsage || !strings.Contains(errb, "--notify URL") {
		t.Errorf("--notify-max-age alone: exit %d, %s", code, errb)
	}
	if code, _, errb := pg(t, "", "serve", "--notify", "https://chat.example/hook", "--notify-max-age", "-1h", "--db", filepath.Join(dir, "a.db")); code != exitUsage || !strings.Contains(errb, "or 0 for any") {
		t.Errorf("--notify-max-age -1h: exit %d, %s", code, errb)
	}
	if code, _, errb := pg(t, "", "serve", "--public-url", "phasegate.example", "--db", filepath.Join(dir, "a.db")); code != exitUsage || !strings.Contains(errb, "--public-url") {
		t.Errorf("--public-url without a scheme: exit %d, %s", code, errb)
	}
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("tiny"), 0o600)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--notify", "chat.example/hook"}, "https://"},
		{[]string{"--notify", "https://chat.example/hook", "--notify-secret-file", short}, "at least 16"},
	} {
		e, _, errb := testEnv("")
		app := newApp(serveConfig{db: filepath.Join(dir, "b.db"), addr: "127.0.0.1:0", notify: tc.args[1:2], notifySecret: secretOf(tc.args),
			settings: fastSettings, logWriter: io.Discard}, e)
		err := app.Open(t.Context())
		app.Close()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v %s", tc.args, err, errb)
		}
	}
}

func secretOf(args []string) string {
	for i, a := range args {
		if a == "--notify-secret-file" && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// TestNotificationsSurviveSIGKILL: the real binary is killed with
// SIGKILL while its webhook is down and declarations wait to be posted;
// restarted on the same database, it posts every one of them, once and
// in order, once it has taken the dead server's hold on the hook over.
func TestNotificationsSurviveSIGKILL(t *testing.T) {
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	db := filepath.Join(dir, "phasegate.db")
	ic := breakGlassToken(t, db, "ines", "incident-commander")

	var mu sync.Mutex
	up, attempts := false, 0
	var posted []server.Notification
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		attempts++
		if !up {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var n server.Notification
		if err := json.Unmarshal(b, &n); err != nil {
			t.Errorf("body %s: %v", b, err)
		}
		posted = append(posted, n)
	}))
	defer hook.Close()
	args := []string{"--db", db, "--estate", filepath.Join("..", "..", "examples", "northfield-motors"),
		"--notify", hook.URL + "/hooks/x", "--notify-events", "incident.declared"}

	p := startBinary(t, bin, args...)
	for i := range 3 {
		if code, out, errb := pg(t, "", "incident", "declare", fmt.Sprintf("Before the crash %d", i), "--kind", "ransomware",
			"--server", p.url, "--token", ic); code != 0 {
			t.Fatalf("declare: %d %s %s", code, out, errb)
		}
	}
	waitFor(t, "the hook to be tried", func() bool { mu.Lock(); defer mu.Unlock(); return attempts > 0 })
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
	mu.Lock()
	up = true
	mu.Unlock()

	// The killed server never let its hook go: the new one takes over
	// once it has seen no renewal for a whole lease (20 s).
	p = startBinary(t, bin, args...)
	waitFor(t, "three notifications", func() bool { mu.Lock(); defer mu.Unlock(); return len(posted) >= 3 })
	time.Sleep(300 * time.Millisecond) // nothing more should come
	mu.Lock()
	defer mu.Unlock()
	var got []int64
	for _, n := range posted {
		got = append(got, n.IncidentID)
	}
	if !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("after the crash the hook was posted the declarations of incidents %v, want 1, 2, 3 once each in order", got)
	}
	if s := p.stderr.String(); !strings.Contains(s, "stopped renewing its hold: this one takes over") {
		t.Errorf("the restarted server's log:\n%s", s)
	}
}

// waitFor polls cond for up to a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
