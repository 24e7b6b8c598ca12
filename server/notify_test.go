package server_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/server"
)

// hookReceiver is a webhook on 127.0.0.1 that records what it is sent
// and answers with the statuses it is told, in turn (then 204).
type hookReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	bodies   [][]byte
	headers  []http.Header
	statuses []int
	got      chan struct{}
	hold     chan struct{} // non-nil: each request waits for a value
}

func newHookReceiver(t *testing.T, statuses ...int) *hookReceiver {
	h := &hookReceiver{statuses: statuses, got: make(chan struct{}, 100)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.hold != nil {
			<-h.hold
		}
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		status := http.StatusNoContent
		if len(h.statuses) > 0 {
			status, h.statuses = h.statuses[0], h.statuses[1:]
		}
		if status < 300 {
			h.bodies = append(h.bodies, body)
			h.headers = append(h.headers, r.Header.Clone())
		}
		h.mu.Unlock()
		w.WriteHeader(status)
		h.got <- struct{}{}
	}))
	t.Cleanup(h.Close)
	return h
}

// wait waits for n requests (or fails the test after 10 s).
func (h *hookReceiver) wait(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-h.got:
		case <-time.After(10 * time.Second):
			t.Fatalf("the hook got fewer than %d requests", n)
		}
	}
}

func runNotifier(t *testing.T, cfg server.NotifyConfig, m *server.Metrics) *server.Notifier {
	t.Helper()
	n, err := server.NewNotifier(cfg, m)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return n
}

// TestNotifierPostsWhatWaitsForAPerson: the events of a real recovery
// step go to the hook in order, only the types it wants, signed, in a
// sentence with a link to where someone acts; a retried 500 is sent once.
func TestNotifierPostsWhatWaitsForAPerson(t *testing.T) {
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "small"})
	hook := newHookReceiver(t, http.StatusInternalServerError) // the first attempt fails
	secret := []byte("a shared secret of the hook")
	n := runNotifier(t, server.NotifyConfig{Hooks: []server.Webhook{{URL: hook.URL + "/hooks/T0K3N", Secret: secret}},
		BaseURL: "https://phasegate.example.internal/", Backoff: []time.Duration{time.Millisecond}}, ts.metrics)

	in := ts.declare("ic", incident.Declaration{Name: "notify", Kind: "ransomware"})
	ts.mustStatus(ts.transition("forensics", in.ID, "vault", incident.StateIsolated), 200)
	ts.mustStatus(ts.transition("forensics", in.ID, "vault", incident.StateInvestigating), 200)
	ts.tickAll("forensics", in.ID, "vault")
	ts.mustStatus(ts.transition("forensics", in.ID, "vault", incident.StateCleared), 200)
	ts.mustStatus(ts.transition("rl", in.ID, "vault", incident.StateRestoring), 202) // waits for a second person
	evs, err := ts.svc.Events(context.Background(), ts.actor("admin"), incident.EventQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n.Publish(evs)
	// estate.uploaded, incident.declared, approval.requested: the rest
	// (transitions, ticks, logins) is not what the default list wants.
	hook.wait(t, 4)                   // one of them twice
	time.Sleep(50 * time.Millisecond) // nothing more should come
	hook.mu.Lock()
	defer hook.mu.Unlock()
	var types []string
	for i, body := range hook.bodies {
		var got server.Notification
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("body %s: %v", body, err)
		}
		types = append(types, got.Type)
		t.Logf("%s: %s (%s)", got.Type, got.Text, got.Link)
		mac := hmac.New(sha256.New, secret)
		mac.Write(body)
		if sig := hook.headers[i].Get("X-Phasegate-Signature"); sig != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			t.Errorf("%s: signature %q does not match the body", got.Type, sig)
		}
		if got.Type == incident.EventApprovalRequested {
			if !strings.Contains(got.Text, "rl") || !strings.Contains(got.Text, "vault") || !strings.HasPrefix(got.Text, "[incident ") {
				t.Errorf("approval text %q", got.Text)
			}
			if want := fmt.Sprintf("https://phasegate.example.internal/incidents/%d/approvals", in.ID); got.Link != want {
				t.Errorf("approval link %q, want %q", got.Link, want)
			}
		}
	}
	if want := []string{incident.EventEstateUploaded, incident.EventIncidentDeclared, incident.EventApprovalRequested}; strings.Join(types, ",") != strings.Join(want, ",") {
		t.Fatalf("posted %v, want %v in that order", types, want)
	}
	if got := counterValue(t, ts, "phasegate_notifications_total"); got != 3 {
		t.Errorf("notifications counted %v, want 3 sent", got)
	}
}

// TestNotifierGivesUpDropsAndSkips: a 400 is not retried; a hook that
// falls behind loses notifications (counted) rather than holding up a
// write; events another instance committed are not posted here; a bad
// address is refused at start.
func TestNotifierGivesUpDropsAndSkips(t *testing.T) {
	ev := func(seq int64, followed bool) incident.Event {
		return incident.Event{Seq: seq, Type: incident.EventIncidentDeclared, Actor: "ic", IncidentID: 1, Subject: "incident:1",
			Payload: json.RawMessage(`{"name":"x"}`), Followed: followed}
	}
	m := server.NewMetrics(nil)
	bad := newHookReceiver(t, http.StatusBadRequest)
	n := runNotifier(t, server.NotifyConfig{Hooks: []server.Webhook{{URL: bad.URL}}, Backoff: []time.Duration{time.Millisecond}}, m)
	n.Publish([]incident.Event{ev(1, true), ev(2, false)})
	bad.wait(t, 1)
	time.Sleep(50 * time.Millisecond)
	if len(bad.got) != 0 {
		t.Fatal("a 400 was retried, or a followed event was posted")
	}

	slow := newHookReceiver(t)
	slow.hold = make(chan struct{})
	n2 := runNotifier(t, server.NotifyConfig{Hooks: []server.Webhook{{URL: slow.URL, Events: []string{"incident."}}}, Queue: 1}, m)
	published := make(chan struct{})
	go func() {
		n2.Publish([]incident.Event{ev(1, false), ev(2, false), ev(3, false), ev(4, false), ev(5, false)})
		close(published)
	}()
	select {
	case <-published:
	case <-time.After(10 * time.Second):
		t.Error("Publish waits for a slow hook")
	}
	close(slow.hold)
	results := notificationCounts(m)
	if results["failed"] != 1 || results["dropped"] < 3 {
		t.Errorf("counted %v, want 1 failed (the 400) and at least 3 dropped", results)
	}

	if _, err := server.NewNotifier(server.NotifyConfig{Hooks: []server.Webhook{{URL: "chat.example/hook"}}}, m); err == nil ||
		!strings.Contains(err.Error(), "https://") {
		t.Errorf("a hook without a scheme: %v", err)
	}
}

// TestNotifierSaysWhatItDropsAtShutdown: a hook that keeps failing holds
// its queue while it is retried; when the server stops, what is still
// queued is counted as dropped and logged with the first and last event
// number, so someone can read those events in the log.
func TestNotifierSaysWhatItDropsAtShutdown(t *testing.T) {
	ev := func(seq int64) incident.Event {
		return incident.Event{Seq: seq, Type: incident.EventIncidentDeclared, Actor: "ic", IncidentID: 1, Subject: "incident:1",
			Payload: json.RawMessage(`{"name":"x"}`)}
	}
	down := newHookReceiver(t, http.StatusServiceUnavailable, http.StatusServiceUnavailable)
	m := server.NewMetrics(nil)
	var logs syncBuffer
	n, err := server.NewNotifier(server.NotifyConfig{Hooks: []server.Webhook{{URL: down.URL}}, Backoff: []time.Duration{time.Hour},
		Log: slog.New(slog.NewTextHandler(&logs, nil))}, m)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	n.Publish([]incident.Event{ev(41), ev(42), ev(43), ev(44)})
	down.wait(t, 1) // 41 is being retried, an hour from now; 42 to 44 wait behind it
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return when stopped")
	}
	results := notificationCounts(m)
	if results["dropped"] != 3 || results["failed"] != 1 {
		t.Errorf("counted %v, want 3 dropped (42 to 44) and 1 failed (41, stopped while retried)", results)
	}
	if s := logs.String(); !strings.Contains(s, "notifications not sent") || !strings.Contains(s, "count=3 first_seq=42 last_seq=44") {
		t.Errorf("the log at shutdown:\n%s", s)
	}
	if len(server.DefaultNotifyBackoff) < 8 {
		t.Errorf("the default retries %v do not ride out a receiver down for most of an hour", server.DefaultNotifyBackoff)
	}
	var total time.Duration
	for _, d := range server.DefaultNotifyBackoff {
		total += d
	}
	if total < 45*time.Minute {
		t.Errorf("the default retries wait %s in all, want most of an hour", total)
	}
}

// notificationCounts reads phasegate_notifications_total by result.
func notificationCounts(m *server.Metrics) map[string]float64 {
	mfs, _ := m.Registry().Gather()
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() == "phasegate_notifications_total" {
			for _, mt := range mf.GetMetric() {
				out[mt.GetLabel()[0].GetValue()] = mt.GetCounter().GetValue()
			}
		}
	}
	return out
}
