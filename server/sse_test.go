package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// sseEvent is one event of the stream as a client parses it.
type sseEvent struct {
	id    int64
	typ   string
	data  incident.Event
	extra string // comments seen before it
}

// sseClient reads an event stream.
type sseClient struct {
	t      testing.TB
	res    *http.Response
	cancel context.CancelFunc
	events chan sseEvent
}

func (ts *testServer) stream(user string, header http.Header, query string) *sseClient {
	ts.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.url+"/api/v1/events/stream"+query, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+ts.tokens[user])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		ts.t.Fatal(err)
	}
	c := &sseClient{t: ts.t, res: res, cancel: cancel, events: make(chan sseEvent, 1000)}
	ts.t.Cleanup(c.close)
	if res.StatusCode != 200 {
		return c
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		ts.t.Fatalf("stream Content-Type %q", ct)
	}
	// Read the opening comment, so the subscription exists before the
	// test writes anything.
	br := bufio.NewReader(res.Body)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			ts.t.Fatalf("stream opening: %v", err)
		}
		if line == "\n" {
			break
		}
	}
	go c.read(br)
	return c
}

func (c *sseClient) read(br *bufio.Reader) {
	defer close(c.events)
	var ev sseEvent
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if ev.typ != "" {
				c.events <- ev
				ev = sseEvent{}
			}
		case strings.HasPrefix(line, ":"):
			ev.extra += line + "\n"
		case strings.HasPrefix(line, "id: "):
			ev.id, _ = strconv.ParseInt(line[4:], 10, 64)
		case strings.HasPrefix(line, "event: "):
			ev.typ = line[7:]
		case strings.HasPrefix(line, "data: "):
			json.Unmarshal([]byte(line[6:]), &ev.data)
		}
	}
}

func (c *sseClient) next(timeout time.Duration) (sseEvent, bool) {
	select {
	case ev, ok := <-c.events:
		return ev, ok
	case <-time.After(timeout):
		return sseEvent{}, false
	}
}

func (c *sseClient) close() {
	c.cancel()
	c.res.Body.Close()
}

func TestEventStreamLiveAndResume(t *testing.T) {
	forEachBackend(t, serverOptions{estate: "small"}, func(t *testing.T, ts *testServer) {
		id := ts.shutdown()
		live := ts.stream("viewer", nil, "")
		ts.mustStatus(ts.transition("forensics", id, "wiki", incident.StateInvestigating), 200)
		ts.mustStatus(ts.do("forensics", "POST", path("/api/v1/incidents/%d/systems/wiki/checklist", id),
			incident.Tick{Item: "forensic-image", Done: true, Note: "n", Evidence: "E1"}), 200)

		first, ok := live.next(5 * time.Second)
		if !ok || first.typ != incident.EventSystemTransitioned || first.data.Subject != "system:wiki" || first.id != first.data.Seq {
			t.Fatalf("first live event: %+v (ok %v)", first, ok)
		}
		second, ok := live.next(5 * time.Second)
		if !ok || second.typ != incident.EventChecklistTicked || second.id != first.id+1 {
			t.Fatalf("second live event: %+v", second)
		}

		// A client that saw only the first resumes with Last-Event-ID
		// and gets the second from the store, then the live ones.
		resumed := ts.stream("viewer", http.Header{"Last-Event-ID": {strconv.FormatInt(first.id, 10)}}, "")
		got, ok := resumed.next(5 * time.Second)
		if !ok || got.id != second.id || got.typ != second.typ {
			t.Fatalf("resumed stream starts with %+v, want event %d", got, second.id)
		}
		ts.mustStatus(ts.transition("forensics", id, "mail", incident.StateInvestigating), 200)
		got, ok = resumed.next(5 * time.Second)
		if !ok || got.data.Subject != "system:mail" || got.id <= second.id {
			t.Fatalf("resumed stream's live event: %+v", got)
		}
		if ev, ok := live.next(5 * time.Second); !ok || ev.id != got.id {
			t.Fatalf("live stream's third event: %+v, want %d", ev, got.id)
		}

		// Filtered by incident: another incident's events do not come.
		other := ts.declare("ic", incident.Declaration{Name: "other", Kind: "ransomware", TotalShutdown: true}).ID
		only := ts.stream("viewer", nil, "?incident="+strconv.FormatInt(id, 10))
		ts.mustStatus(ts.transition("forensics", other, "wiki", incident.StateInvestigating), 200)
		ts.mustStatus(ts.transition("forensics", id, "net", incident.StateInvestigating), 200)
		if ev, ok := only.next(5 * time.Second); !ok || ev.data.IncidentID != id || ev.data.Subject != "system:net" {
			t.Fatalf("incident-filtered stream: %+v", ev)
		}
	})
}

func TestEventStreamRespectsPermissions(t *testing.T) {
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "small"})
	if c := ts.stream("", nil, ""); c.res.StatusCode != 401 {
		t.Fatalf("anonymous stream: %d, want 401", c.res.StatusCode)
	}
	viewer := ts.stream("viewer", nil, "")
	admin := ts.stream("admin", nil, "")
	// A failed login is an account event: admins see it, viewers not.
	ts.request(http.Header{}, "POST", "/api/v1/session", map[string]string{"name": "comms", "password": "wrong"})
	ev, ok := admin.next(5 * time.Second)
	if !ok || !strings.HasPrefix(ev.typ, "auth.") {
		t.Fatalf("admin stream: %+v, want the failed login", ev)
	}
	id := ts.shutdown()
	ts.mustStatus(ts.transition("forensics", id, "wiki", incident.StateInvestigating), 200)
	for {
		ev, ok := viewer.next(5 * time.Second)
		if !ok {
			t.Fatalf("viewer stream ended before the transition")
		}
		if strings.HasPrefix(ev.typ, "auth.") || strings.HasPrefix(ev.typ, "user.") {
			t.Fatalf("viewer saw account event %+v", ev)
		}
		if ev.typ == incident.EventSystemTransitioned {
			break
		}
	}
}

func TestEventStreamHeartbeatAndShutdown(t *testing.T) {
	ts := newTestServer(t, backend{"sqlite", openSQLite}, serverOptions{estate: "small", heartbeat: 50 * time.Millisecond})
	c := ts.stream("viewer", nil, "")
	ts.declare("ic", incident.Declaration{Name: "beat", Kind: "ransomware"})
	ev, ok := c.next(5 * time.Second)
	if !ok || ev.typ != incident.EventIncidentDeclared {
		t.Fatalf("stream: %+v", ev)
	}
	time.Sleep(200 * time.Millisecond)
	ts.declare("ic", incident.Declaration{Name: "beat 2", Kind: "ransomware"})
	ev, ok = c.next(5 * time.Second)
	if !ok || !strings.Contains(ev.extra, ": heartbeat") {
		t.Fatalf("no heartbeat comment between events: %+v", ev)
	}
	// Closing the server ends the stream.
	ts.srv.Close()
	if _, ok := c.next(5 * time.Second); ok {
		t.Fatalf("stream still open after the server closed")
	}
	// New streams are turned away with 503 and a Retry-After.
	if late := ts.stream("viewer", nil, ""); late.res.StatusCode != 503 || late.res.Header.Get("Retry-After") == "" {
		t.Errorf("stream after close: %d %v, want 503 with Retry-After", late.res.StatusCode, late.res.Header)
	}
}
