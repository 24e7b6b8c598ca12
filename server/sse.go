package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// subscriberBuffer is how many events a slow stream client may fall
// behind before it is caught up from the store instead.
const subscriberBuffer = 256

// Broker fans committed events out to the clients of the event stream.
// Wire Publish into incident.Config.Publish. Publish never blocks: a
// client that falls behind is dropped from the fan-out and catches up
// from the store, so one slow reader cannot stall a write.
type Broker struct {
	metrics *Metrics

	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	last   int64 // the highest seq published
	closed bool
}

type subscriber struct {
	ch chan incident.Event
}

// NewBroker returns a broker that counts published events in m (nil: not
// counted).
func NewBroker(m *Metrics) *Broker {
	return &Broker{metrics: m, subs: map[*subscriber]struct{}{}}
}

// Publish hands committed events to every stream client.
func (b *Broker) Publish(evs []incident.Event) {
	if b.metrics != nil {
		b.metrics.EventsAppended(evs)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range evs {
		b.last = max(b.last, e.Seq)
	}
	if b.closed {
		return
	}
	for sub := range b.subs {
		for _, e := range evs {
			select {
			case sub.ch <- e:
				continue
			default:
			}
			// Full: drop the client from the fan-out; its handler sees
			// the closed channel and catches up from the store.
			close(sub.ch)
			delete(b.subs, sub)
			break
		}
	}
}

// subscribe registers a client. It returns the highest seq published so
// far (0 when none yet), and false once the broker is closed.
func (b *Broker) subscribe() (*subscriber, int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, 0, false
	}
	sub := &subscriber{ch: make(chan incident.Event, subscriberBuffer)}
	b.subs[sub] = struct{}{}
	return sub, b.last, true
}

func (b *Broker) unsubscribe(sub *subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[sub]; ok {
		delete(b.subs, sub)
		close(sub.ch)
	}
}

func (b *Broker) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// Close ends every stream; later subscriptions are refused.
func (b *Broker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	for sub := range b.subs {
		close(sub.ch)
		delete(b.subs, sub)
	}
}

// stream is one client's event stream.
type stream struct {
	s        *Server
	w        http.ResponseWriter
	r        *http.Request
	rc       *http.ResponseController
	actor    incident.Actor
	incident int64 // 0: every incident
	// cursor is the highest seq handled (sent or filtered out); 0 while
	// unknown.
	cursor int64
}

// handleStream serves GET /api/v1/events/stream: Server-Sent Events, one
// per committed event (id = seq, event = type, data = the event as
// JSON). A client that reconnects with Last-Event-ID (or ?after=N) gets
// what it missed from the store first. Heartbeat comments keep idle
// connections open.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request) {
	a := actorFrom(r.Context())
	st := &stream{s: s, w: w, r: r, rc: http.NewResponseController(w), actor: a}
	var err error
	if st.incident, err = queryInt(r, "incident", 0); err != nil {
		s.writeError(w, r, err)
		return
	}
	after := r.Header.Get("Last-Event-ID")
	if after == "" {
		after = r.URL.Query().Get("after")
	}
	if after != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(after), 10, 64)
		if err != nil || n < 0 {
			s.writeError(w, r, invalidRequest(http.StatusBadRequest,
				"Last-Event-ID %q is not an event seq; send the id of the last event received", after))
			return
		}
		st.cursor = n
	}
	sub, last, ok := s.broker.subscribe()
	if !ok {
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, ErrorResponse{Code: "unavailable",
			Message: "the server is shutting down; reconnect with Last-Event-ID in a few seconds"})
		return
	}
	defer func() { s.broker.unsubscribe(sub) }()
	s.metrics.sse.Inc()
	defer s.metrics.sse.Dec()
	if after == "" {
		// Start at the chain head read after subscribing: every later
		// event reaches the client (by the broker, or from the store when
		// another instance wrote it), nothing earlier does.
		head, _, err := s.svc.ChainHead(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		st.cursor = max(last, head)
	}

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	if err := st.write("retry: 2000\n: phasegate event stream\n\n"); err != nil {
		return
	}
	if after != "" {
		if err := st.catchUp(0); err != nil {
			return
		}
	}
	beat := time.NewTicker(s.heartbeat)
	defer beat.Stop()
	lastAuth := time.Now()
	for {
		select {
		case <-r.Context().Done():
			return
		case e, ok := <-sub.ch:
			if !ok {
				if s.broker.isClosed() {
					return
				}
				// Dropped for falling behind: subscribe again and
				// catch up from the store.
				if sub, _, ok = s.broker.subscribe(); !ok {
					return
				}
				if err := st.catchUp(0); err != nil {
					return
				}
				continue
			}
			if err := st.deliver(e); err != nil {
				return
			}
		case <-beat.C:
			// Re-check the credentials now and then: a disabled user or
			// a revoked token stops receiving.
			if time.Since(lastAuth) >= time.Minute {
				if _, err := s.authenticate(r); err != nil {
					st.write(fmt.Sprintf("event: error\ndata: %s\n\n", mustJSON(errorBody(err))))
					return
				}
				lastAuth = time.Now()
			}
			if err := st.write(": heartbeat " + time.Now().UTC().Format(time.RFC3339) + "\n\n"); err != nil {
				return
			}
		}
	}
}

// deliver sends e unless it was already handled; when events were
// skipped (published out of order, or written by another process) it
// fills the gap from the store first.
func (st *stream) deliver(e incident.Event) error {
	if e.Seq <= st.cursor {
		return nil
	}
	if st.cursor > 0 && e.Seq > st.cursor+1 {
		if err := st.catchUp(e.Seq - 1); err != nil {
			return err
		}
	}
	st.cursor = e.Seq
	return st.send(e)
}

// catchUp sends the stored events after the cursor, up to seq upTo (0:
// all of them).
func (st *stream) catchUp(upTo int64) error {
	for {
		evs, err := st.s.svc.Events(st.r.Context(), st.actor, incident.EventQuery{
			After: st.cursor, IncidentID: st.incident, Limit: 500})
		if err != nil {
			st.write(fmt.Sprintf("event: error\ndata: %s\n\n", mustJSON(errorBody(err))))
			return err
		}
		for _, e := range evs {
			if upTo > 0 && e.Seq > upTo {
				st.cursor = upTo
				return nil
			}
			st.cursor = e.Seq
			if err := st.send(e); err != nil {
				return err
			}
		}
		if len(evs) < 500 {
			if upTo > st.cursor {
				st.cursor = upTo
			}
			return nil
		}
	}
}

func (st *stream) send(e incident.Event) error {
	if st.incident != 0 && e.IncidentID != st.incident {
		return nil
	}
	if !st.actor.MaySee(e) {
		return nil
	}
	return st.write(fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Type, mustJSON(e)))
}

func (st *stream) write(s string) error {
	// A client that stops reading is dropped rather than holding the
	// handler forever.
	st.rc.SetWriteDeadline(time.Now().Add(st.s.heartbeat*2 + 5*time.Second))
	if _, err := st.w.Write([]byte(s)); err != nil {
		return err
	}
	return st.rc.Flush()
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return `{}`
	}
	return string(b)
}
