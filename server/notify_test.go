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
	"slices"
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
}

func newHookReceiver(t *testing.T, statuses ...int) *hookReceiver {
	h := &hookReceiver{statuses: statuses, got: make(chan struct{}, 100)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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

// runNotifier starts a notifier on a service's log, as serve does: Begin
// before anything is written, Run until the test ends.
func runNotifier(t *testing.T, cfg server.NotifyConfig, m *server.Metrics, log server.NotifyLog) *server.Notifier {
	t.Helper()
	n, stop := startNotifier(t, cfg, m, log)
	t.Cleanup(stop)
	return n
}

// startNotifier starts a notifier and returns a function that stops it
// and waits for Run to return (or fails the test after 10 s).
func startNotifier(t *testing.T, cfg server.NotifyConfig, m *server.Metrics, log server.NotifyLog) (*server.Notifier, func()) {
	t.Helper()
	if cfg.Poll == 0 {
		cfg.Poll = 10 * time.Millisecond
	}
	n, err := server.NewNotifier(cfg, m)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Begin(context.Background(), log); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx, log); close(done) }()
	var once sync.Once
	return n, func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return when stopped")
			}
		})
	}
}

// posted decodes what the hook was sent, in order.
func (h *hookReceiver) posted(t *testing.T) []server.Notification {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]server.Notification, len(h.bodies))
	for i, body := range h.bodies {
		if err := json.Unmarshal(body, &out[i]); err != nil {
			t.Fatalf("body %s: %v", body, err)
		}
	}
	return out
}

// TestNotifierPostsWhatWaitsForAPerson: the events of a real recovery
// step go from the log to the hook in order, only the types it wants,
// signed, in a sentence with a link to where someone acts; a retried 500
// is sent once. The hook is new to the store, so what was written before
// the notifier began (the estate upload) is not sent.
func TestNotifierPostsWhatWaitsForAPerson(t *testing.T) {
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "small"})
	hook := newHookReceiver(t, http.StatusInternalServerError) // the first attempt fails
	secret := []byte("a shared secret of the hook")
	runNotifier(t, server.NotifyConfig{Hooks: []server.Webhook{{URL: hook.URL + "/hooks/T0K3N", Secret: secret}},
		BaseURL: "https://phasegate.example.internal/", Backoff: []time.Duration{time.Millisecond}}, ts.metrics, ts.svc)

	in := ts.declare("ic", incident.Declaration{Name: "notify", Kind: "ransomware"})
	ts.mustStatus(ts.transition("forensics", in.ID, "vault", incident.StateIsolated), 200)
	ts.mustStatus(ts.transition("forensics", in.ID, "vault", incident.StateInvestigating), 200)
	ts.tickAll("forensics", in.ID, "vault")
	ts.mustStatus(ts.transition("forensics", in.ID, "vault", incident.StateCleared), 200)
	ts.mustStatus(ts.transition("rl", in.ID, "vault", incident.StateRestoring), 202) // waits for a second person
	// incident.declared, approval.requested: the rest (transitions,
	// ticks) is not what the default list wants.
	hook.wait(t, 3)                    // one of them twice
	time.Sleep(100 * time.Millisecond) // nothing more should come
	var types []string
	for i, got := range hook.posted(t) {
		types = append(types, got.Type)
		t.Logf("%s: %s (%s)", got.Type, got.Text, got.Link)
		hook.mu.Lock()
		body, sig := hook.bodies[i], hook.headers[i].Get("X-Phasegate-Signature")
		hook.mu.Unlock()
		mac := hmac.New(sha256.New, secret)
		mac.Write(body)
		if sig != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
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
	if want := []string{incident.EventIncidentDeclared, incident.EventApprovalRequested}; strings.Join(types, ",") != strings.Join(want, ",") {
		t.Fatalf("posted %v, want %v in that order", types, want)
	}
	if got := counterValue(t, ts, "phasegate_notifications_total"); got != 2 {
		t.Errorf("notifications counted %v, want 2 sent", got)
	}
}

// TestNotifierGivesUpAndGoesOn: a 400 is not retried and does not hold
// up what follows; events too old when their turn comes are counted and
// logged, not posted; a bad address is refused at start.
func TestNotifierGivesUpAndGoesOn(t *testing.T) {
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "small"})
	m := server.NewMetrics(nil)
	bad := newHookReceiver(t, http.StatusBadRequest)
	_, stop := startNotifier(t, server.NotifyConfig{Hooks: []server.Webhook{{URL: bad.URL, Events: []string{"incident."}}},
		Backoff: []time.Duration{time.Millisecond}}, m, ts.svc)
	first := ts.declare("ic", incident.Declaration{Name: "refused", Kind: "ransomware"})
	second := ts.declare("ic", incident.Declaration{Name: "posted", Kind: "ransomware"})
	bad.wait(t, 2)
	time.Sleep(50 * time.Millisecond)
	stop()
	if len(bad.got) != 0 {
		t.Error("a 400 was retried")
	}
	if got := bad.posted(t); len(got) != 1 || got[0].IncidentID != second.ID {
		t.Errorf("posted %+v, want only incident %d (incident %d was refused)", got, second.ID, first.ID)
	}
	if c := notificationCounts(m); c["failed"] != 1 || c["sent"] != 1 {
		t.Errorf("counted %v, want 1 failed (the 400), 1 sent", c)
	}

	// Two days on, a hook that begins now and is behind (its cursor
	// before these events) finds them too old.
	late := newHookReceiver(t)
	var logs syncBuffer
	m2 := server.NewMetrics(nil)
	_, stop2 := startNotifier(t, server.NotifyConfig{Hooks: []server.Webhook{{URL: bad.URL, Events: []string{"incident."}}, {URL: late.URL, Events: []string{"incident."}}},
		Now: func() time.Time { return time.Now().Add(48 * time.Hour) }, Log: slog.New(slog.NewTextHandler(&logs, nil))}, m2, ts.svc)
	ts.declare("ic", incident.Declaration{Name: "stale", Kind: "ransomware"})
	deadline := time.Now().Add(10 * time.Second)
	for notificationCounts(m2)["stale"] < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	stop2()
	if c := notificationCounts(m2); c["stale"] != 2 || c["sent"] != 0 {
		t.Errorf("counted %v, want 2 stale (one per hook) and none sent", c)
	}
	if s := logs.String(); !strings.Contains(s, "older than the limit") || !strings.Contains(s, "max_age=24h0m0s") {
		t.Errorf("the log says:\n%s", s)
	}

	if _, err := server.NewNotifier(server.NotifyConfig{Hooks: []server.Webhook{{URL: "chat.example/hook"}}}, m); err == nil ||
		!strings.Contains(err.Error(), "https://") {
		t.Errorf("a hook without a scheme: %v", err)
	}
}

// TestNotifierGoesOnWhereItStopped: a hook that is down when the server
// stops loses nothing. Its notifications wait in the log; the next
// instance, on the same store, posts every one of them once, in order —
// including events written while no notifier ran.
func TestNotifierGoesOnWhereItStopped(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ts := newTestServer(t, b, serverOptions{estate: "small"})
			hook := newHookReceiver(t, http.StatusServiceUnavailable, http.StatusServiceUnavailable)
			var logs syncBuffer
			cfg := server.NotifyConfig{Hooks: []server.Webhook{{URL: hook.URL + "/hooks/x", Events: []string{"incident."}}},
				Backoff: []time.Duration{time.Millisecond, time.Hour}, Instance: "first", Log: slog.New(slog.NewTextHandler(&logs, nil))}
			m := server.NewMetrics(nil)
			_, stop := startNotifier(t, cfg, m, ts.svc)
			var ids []int64
			for i := range 3 {
				ids = append(ids, ts.declare("ic", incident.Declaration{Name: fmt.Sprintf("before %d", i), Kind: "ransomware"}).ID)
			}
			hook.wait(t, 2) // the first event, tried twice; the second try waits an hour
			// The metric says since when the first declaration waits.
			first, err := ts.svc.Incident(context.Background(), ts.actor("ic"), ids[0])
			if err != nil {
				t.Fatal(err)
			}
			if got := waitingSince(m); got.Sub(first.DeclaredAt).Abs() > time.Minute || got.IsZero() {
				t.Errorf("waiting since %s, want about when incident %d was declared (%s)", got, ids[0], first.DeclaredAt)
			}
			stop()
			if s := logs.String(); !strings.Contains(s, "posted when phasegate starts again") {
				t.Errorf("the log at shutdown:\n%s", s)
			}
			// Written while no notifier runs.
			ids = append(ids, ts.declare("ic", incident.Declaration{Name: "between", Kind: "ransomware"}).ID)

			cfg.Instance, cfg.Backoff = "second", []time.Duration{time.Millisecond}
			m2 := server.NewMetrics(nil)
			runNotifier(t, cfg, m2, ts.svc)
			hook.wait(t, len(ids))
			time.Sleep(100 * time.Millisecond) // nothing more should come
			if got := waitingSince(m2); !got.IsZero() {
				t.Errorf("caught up, the metric still says something waits since %s", got)
			}
			var got []int64
			seqs := map[int64]bool{}
			for _, n := range hook.posted(t) {
				got = append(got, n.IncidentID)
				if seqs[n.Seq] {
					t.Errorf("event %d posted twice", n.Seq)
				}
				seqs[n.Seq] = true
			}
			if !slices.Equal(got, ids) {
				t.Errorf("posted the declarations of incidents %v, want %v in that order", got, ids)
			}
		})
	}
}

// TestNotifierOneInstancePostsEachEvent: two instances on one store with
// the same hook post each event once between them; when the one posting
// stops, the other takes over and nothing is lost or repeated.
func TestNotifierOneInstancePostsEachEvent(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ts := newTestServer(t, b, serverOptions{estate: "small"})
			hook := newHookReceiver(t)
			cfg := func(name string) server.NotifyConfig {
				return server.NotifyConfig{Hooks: []server.Webhook{{URL: hook.URL, Events: []string{"incident.declared"}}},
					Backoff: []time.Duration{time.Millisecond}, Instance: name, Lease: 500 * time.Millisecond}
			}
			_, stopA := startNotifier(t, cfg("a"), nil, ts.svc)
			runNotifier(t, cfg("b"), nil, ts.svc)
			for i := range 10 {
				ts.declare("ic", incident.Declaration{Name: fmt.Sprintf("first %d", i), Kind: "ransomware"})
			}
			hook.wait(t, 10)
			stopA() // a held the hook (it began first): b takes over
			for i := range 10 {
				ts.declare("ic", incident.Declaration{Name: fmt.Sprintf("second %d", i), Kind: "ransomware"})
			}
			hook.wait(t, 10)
			time.Sleep(200 * time.Millisecond) // nothing more should come
			posted := hook.posted(t)
			if len(posted) != 20 {
				var seqs []int64
				for _, n := range posted {
					seqs = append(seqs, n.Seq)
				}
				t.Fatalf("posted %d notifications, want 20: events %v", len(posted), seqs)
			}
			for i := 1; i < len(posted); i++ {
				if posted[i].Seq <= posted[i-1].Seq {
					t.Errorf("event %d posted after %d: repeated or out of order", posted[i].Seq, posted[i-1].Seq)
				}
			}
		})
	}
}

// TestNotifierThatLostItsHookSaysNothingWaits: an instance that stalls
// while a notification waits for a retry loses the hook to another
// instance, which posts it. Its metric must then say nothing waits: left
// at the event's time, the documented alert (time() - x > 600 and x > 0)
// would fire on it for good, for a notification long posted.
func TestNotifierThatLostItsHookSaysNothingWaits(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ts := newTestServer(t, b, serverOptions{estate: "small"})
			hook := newHookReceiver(t, http.StatusServiceUnavailable) // a's post fails, b's goes through
			hooks := []server.Webhook{{URL: hook.URL, Events: []string{"incident.declared"}}}
			// a's lease is short and it looks at the store only every 2 s:
			// waiting a second to retry, it stalls past its lease.
			mA := server.NewMetrics(nil)
			a := runNotifier(t, server.NotifyConfig{Hooks: hooks, Instance: "a", Lease: 200 * time.Millisecond,
				Poll: 2 * time.Second, Backoff: []time.Duration{time.Second}}, mA, ts.svc)
			ts.declare("ic", incident.Declaration{Name: "waits", Kind: "ransomware"})
			a.Publish([]incident.Event{{Type: incident.EventIncidentDeclared}})
			hook.wait(t, 1) // a's try, refused
			if waitingSince(mA).IsZero() {
				t.Fatal("a's metric does not say a notification waits")
			}
			mB := server.NewMetrics(nil)
			runNotifier(t, server.NotifyConfig{Hooks: hooks, Instance: "b", Lease: 200 * time.Millisecond,
				Backoff: []time.Duration{time.Millisecond}}, mB, ts.svc)
			hook.wait(t, 1) // b took the hook over and posted it
			deadline := time.Now().Add(5 * time.Second)
			for !waitingSince(mA).IsZero() && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if got := waitingSince(mA); !got.IsZero() {
				t.Errorf("a lost the hook to b, which posted the notification; a's metric still says one waits since %s", got)
			}
			if got := waitingSince(mB); !got.IsZero() {
				t.Errorf("b caught up; its metric says one waits since %s", got)
			}
			if got := len(hook.posted(t)); got != 1 {
				t.Errorf("posted %d times, want once", got)
			}
		})
	}
}

// waitingSince reads the one hook's
// phasegate_notification_waiting_since_timestamp_seconds (zero: nothing
// waits).
func waitingSince(m *server.Metrics) time.Time {
	mfs, _ := m.Registry().Gather()
	for _, mf := range mfs {
		if mf.GetName() == "phasegate_notification_waiting_since_timestamp_seconds" {
			if v := mf.GetMetric()[0].GetGauge().GetValue(); v > 0 {
				return time.UnixMicro(int64(v * 1e6))
			}
		}
	}
	return time.Time{}
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
