package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// Webhook notifications: the events people must act on (a restart
// waiting for a second person, an account change waiting for a second
// admin, a status update to approve) are posted as JSON to the recovery
// team's chat or paging bridge, so the second person hears of them
// without watching a screen.
//
// The event log is the queue (ADR 0013): each hook has a cursor in the
// store, the last event handled, and a lease naming the one instance
// that posts its notifications. The worker reads the log after the
// cursor, posts what the hook wants in order, and moves the cursor on;
// a restart, a crash, or another instance taking over when a lease runs
// out goes on from there, so nothing committed is lost. Delivery is at
// least once: an event posted just before a crash, not yet recorded as
// posted, is posted again with the same X-Phasegate-Seq. Retries ride out
// network errors, 5xx and 429; a hook that refuses (4xx) or stays down
// through every retry is given up on for that event (counted, logged).

// DefaultNotifyEvents are the event types posted when a hook names none:
// what waits for a person (and a request that lapsed, which its asker
// must make again), what the public is told, and lock-outs.
var DefaultNotifyEvents = []string{
	incident.EventApprovalRequested, incident.EventAccountRequested, incident.EventStatusDrafted,
	incident.EventApprovalExpired, incident.EventAccountExpired,
	incident.EventStatusPublished, incident.EventEstateUploaded, incident.EventIncidentDeclared,
	incident.EventIncidentClosed, incident.EventLockedOut,
}

// DefaultNotifyBackoff rides out a chat bridge that is down for most of
// an hour (about 49 minutes of retries): the usual way a notification
// fails is a receiver being restarted, not phasegate. Delivery is in
// order per hook, so while one waits the rest of that hook's events wait
// with it, which is right for a hook that is down.
var DefaultNotifyBackoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, time.Minute,
	2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 15 * time.Minute}

// Defaults of NotifyConfig.
const (
	DefaultNotifyLease  = 20 * time.Second
	DefaultNotifyPoll   = 5 * time.Second
	DefaultNotifyMaxAge = 24 * time.Hour
)

// Webhook is where notifications go.
type Webhook struct {
	URL string
	// Events are event types ("approval.requested"), prefixes ending in
	// "." ("approval."), or "*" for every event; empty: DefaultNotifyEvents.
	Events []string
	// Secret signs each body: X-Phasegate-Signature: sha256=HEX of the
	// HMAC-SHA256 of the body. Nil: unsigned.
	Secret []byte
}

// NotifyConfig configures a Notifier.
type NotifyConfig struct {
	Hooks []Webhook
	// BaseURL is the address people open phasegate at, for the links in
	// notifications ("": no links).
	BaseURL string
	// Client posts the notifications; nil: a client with a 10 s timeout.
	Client *http.Client
	// Backoff is the wait before each retry; nil: DefaultNotifyBackoff.
	Backoff []time.Duration
	// Instance names this process in each hook's lease; "": host, pid and
	// a random suffix.
	Instance string
	// Lease is how long another instance waits, by its own clock, without
	// seeing the holder renew its hold before it takes a hook over; 0:
	// DefaultNotifyLease. Poll is how often the log is looked at when
	// nothing wakes the worker (events of other writers), and the hold
	// renewed while a retry waits; 0: DefaultNotifyPoll. Keep Poll and
	// the HTTP client's timeout well under Lease.
	Lease, Poll time.Duration
	// MaxAge: events older than this when their turn comes (after a long
	// stop) are not posted, only counted and logged; 0:
	// DefaultNotifyMaxAge, negative: no limit.
	MaxAge time.Duration
	// Now is the clock MaxAge is judged by; nil: time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// NotifyLog is what the notifier reads and keeps: the event log and each
// hook's cursor (incident.Service).
type NotifyLog interface {
	ClaimNotify(ctx context.Context, hook, holder string, lease time.Duration, gone *incident.NotifyCursor) (incident.NotifyCursor, bool, error)
	AdvanceNotify(ctx context.Context, hook, holder string, seq int64, lease time.Duration) error
	ReleaseNotify(ctx context.Context, hook, holder string) error
	NotifyEvents(ctx context.Context, after int64, limit int) ([]incident.Event, error)
}

// Notification is the JSON body posted: text for a chat (Slack,
// Mattermost and Teams bridges read "text"), a link, and the event.
type Notification struct {
	Text       string         `json:"text"`
	Link       string         `json:"link,omitempty"`
	Type       string         `json:"type"`
	Seq        int64          `json:"seq"`
	IncidentID int64          `json:"incident_id,omitempty"`
	At         time.Time      `json:"at"`
	Event      incident.Event `json:"event"`
}

// Notifier posts events to webhooks. Publish never blocks.
type Notifier struct {
	cfg     NotifyConfig
	metrics *Metrics
	log     *slog.Logger
	hooks   []*hookWorker
}

type hookWorker struct {
	Webhook
	key   string // the cursor's name: SHA-256 of the URL
	label string // in metrics: the URL without its path, and the key's start
	match func(string) bool
	wake  chan struct{}
}

// notifyBatch is how many events one look at the log reads.
const notifyBatch = 200

// NewNotifier checks the hooks and returns a notifier; Run delivers.
func NewNotifier(cfg NotifyConfig, m *Metrics) (*Notifier, error) {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Backoff == nil {
		cfg.Backoff = DefaultNotifyBackoff
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultNotifyLease
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultNotifyPoll
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = DefaultNotifyMaxAge
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Instance == "" {
		cfg.Instance = instanceName()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	n := &Notifier{cfg: cfg, metrics: m, log: cfg.Log}
	for _, h := range cfg.Hooks {
		if err := checkHookURL(h.URL); err != nil {
			return nil, err
		}
		events := h.Events
		if len(events) == 0 {
			events = DefaultNotifyEvents
		}
		sum := sha256.Sum256([]byte(h.URL))
		key := hex.EncodeToString(sum[:])
		n.hooks = append(n.hooks, &hookWorker{Webhook: h, key: key, label: redactURL(h.URL) + " " + key[:8],
			match: eventMatcher(events), wake: make(chan struct{}, 1)})
	}
	return n, nil
}

// instanceName names this process for the leases: which host and pid
// holds a hook is what an operator reading the store wants to know.
func instanceName() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	var b [3]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%x", host, os.Getpid(), b)
}

// checkHookURL says what is wrong with a webhook's address.
func checkHookURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--notify %q: give the webhook's full http:// or https:// address, e.g. https://chat.example.internal/hooks/recovery", s)
	}
	return nil
}

// eventMatcher reports whether a type is one of patterns: a type, a
// prefix ending in ".", or "*".
func eventMatcher(patterns []string) func(string) bool {
	return func(typ string) bool {
		for _, p := range patterns {
			if p == "*" || p == typ || strings.HasSuffix(p, ".") && strings.HasPrefix(typ, p) {
				return true
			}
		}
		return false
	}
}

// Publish wakes the hooks that want one of the events, so they look at
// the log now rather than at their next poll. It never blocks and holds
// nothing: the events are in the log already. Events other writers
// committed (Followed) wake them too: whichever instance holds a hook
// posts every instance's events. Wire it into incident.Config.Publish
// beside the broker's.
func (n *Notifier) Publish(evs []incident.Event) {
	for _, h := range n.hooks {
		if slices.ContainsFunc(evs, func(e incident.Event) bool { return h.match(e.Type) }) {
			select {
			case h.wake <- struct{}{}:
			default:
			}
		}
	}
}

// Begin claims each hook's cursor before the process writes anything, so
// a hook new to the store is posted what this process does from its
// start (an estate loaded, the demo incident declared), not the log's
// whole history. Run without Begin starts new hooks where it first looks.
func (n *Notifier) Begin(ctx context.Context, log NotifyLog) error {
	for _, h := range n.hooks {
		if _, _, err := log.ClaimNotify(ctx, h.key, n.cfg.Instance, n.cfg.Lease, nil); err != nil {
			return fmt.Errorf("webhook notifications: reading where they stand: %w", err)
		}
	}
	return nil
}

// Run delivers until ctx ends. What is not posted by then stays after the
// hooks' cursors and is posted at the next start (or by another instance
// once this one's lease runs out).
func (n *Notifier) Run(ctx context.Context, log NotifyLog) {
	var wg sync.WaitGroup
	for _, h := range n.hooks {
		wg.Go(func() { n.runHook(ctx, log, h) })
	}
	wg.Wait()
}

// runHook claims the hook's cursor and delivers from it, again and again.
// At a clean stop it lets the lease go, so another instance (or this
// one restarted under another name) takes over at once rather than when
// the lease runs out.
func (n *Notifier) runHook(ctx context.Context, log NotifyLog, h *hookWorker) {
	held := false
	defer func() {
		if held {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			if err := log.ReleaseNotify(rctx, h.key, n.cfg.Instance); err != nil && !errors.Is(err, incident.ErrNotifyLeaseLost) {
				n.log.Warn("letting this hook's notifications go at shutdown", "hook", redactURL(h.URL), "err", err)
			}
		}
	}()
	// Another instance's hold, as last read, and when (by this clock) it
	// was first read so: unchanged for a whole lease, its holder is gone.
	var seen *incident.NotifyCursor
	var seenAt time.Time
	for ctx.Err() == nil {
		more := false
		var gone *incident.NotifyCursor
		if seen != nil && time.Since(seenAt) >= n.cfg.Lease {
			gone = seen
		}
		c, ok, err := log.ClaimNotify(ctx, h.key, n.cfg.Instance, n.cfg.Lease, gone)
		if err == nil && gone != nil && ok {
			n.log.Warn("the instance posting this hook's notifications stopped renewing its hold: this one takes over",
				"hook", redactURL(h.URL), "from", gone.Holder, "after_seq", c.Seq)
		}
		switch {
		case err != nil:
			if ctx.Err() == nil {
				n.log.Warn("webhook notifications: cannot read where they stand in the store; trying again", "hook", redactURL(h.URL), "err", err)
			}
		case !ok:
			if seen == nil || seen.Holder != c.Holder || !seen.UpdatedAt.Equal(c.UpdatedAt) {
				seen, seenAt = &c, time.Now()
			}
			if held {
				n.log.Info("another instance posts this hook's notifications now", "hook", redactURL(h.URL), "holder", c.Holder)
			}
			held = false
			// What waits is the holder's to post and to report: left as
			// it was, this instance's gauge would say an event waits long
			// after the holder posted it, and the alert on it would fire
			// here for good.
			n.metrics.notifyWaiting(h.label, time.Time{})
		default:
			if !held {
				n.log.Info("posting this hook's notifications", "hook", redactURL(h.URL), "after_seq", c.Seq)
			}
			held, seen = true, nil
			more, err = n.deliverFrom(ctx, log, h, c.Seq)
			switch {
			case errors.Is(err, incident.ErrNotifyLeaseLost):
				n.log.Warn("this instance stalled and another took over this hook's notifications", "hook", redactURL(h.URL))
				held = false
				n.metrics.notifyWaiting(h.label, time.Time{}) // the holder's to report now
			case err != nil && ctx.Err() == nil:
				n.log.Warn("webhook notifications: reading the log or recording progress failed; trying again", "hook", redactURL(h.URL), "err", err)
				more = false
			}
		}
		if more {
			continue
		}
		select {
		case <-ctx.Done():
		case <-h.wake:
		case <-time.After(n.cfg.Poll):
		}
	}
}

// deliverFrom posts what the hook wants of the events after seq (one
// batch) and moves the cursor on; more says a full batch was read.
func (n *Notifier) deliverFrom(ctx context.Context, log NotifyLog, h *hookWorker, after int64) (more bool, err error) {
	evs, err := log.NotifyEvents(ctx, after, notifyBatch)
	if err != nil {
		return false, err
	}
	handled, recorded := after, after
	var stale []int64
	for _, e := range evs {
		switch {
		case !h.match(e.Type):
		case n.cfg.MaxAge > 0 && n.cfg.Now().Sub(e.At) > n.cfg.MaxAge:
			n.metrics.notified("stale")
			stale = append(stale, e.Seq)
		default:
			n.metrics.notifyWaiting(h.label, e.At)
			if err := n.deliver(ctx, log, h, e, handled); err != nil {
				return false, err
			}
			// Recorded at once, even when a stop came while it was
			// posted: a crash now posts this one again at most, a clean
			// stop none.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			err := log.AdvanceNotify(rctx, h.key, n.cfg.Instance, e.Seq, n.cfg.Lease)
			cancel()
			if err != nil {
				return false, err
			}
			recorded = e.Seq
		}
		handled = e.Seq
	}
	if len(stale) > 0 {
		n.log.Warn("notifications not posted: their events are older than the limit; read them in the event log",
			"hook", redactURL(h.URL), "count", len(stale), "first_seq", stale[0], "last_seq", stale[len(stale)-1],
			"max_age", n.cfg.MaxAge.String())
	}
	if handled > recorded { // the batch ended on events not posted
		if err := log.AdvanceNotify(ctx, h.key, n.cfg.Instance, handled, n.cfg.Lease); err != nil {
			return false, err
		}
	}
	if len(evs) < notifyBatch {
		n.metrics.notifyWaiting(h.label, time.Time{}) // caught up
	}
	return len(evs) == notifyBatch, nil
}

// deliver posts one notification, retrying as configured and keeping the
// hook's lease (its cursor at handled) while it waits. It returns nil
// once the event is posted or given up on; an error when it stopped
// (ctx ended, the lease lost) with the event still to post.
func (n *Notifier) deliver(ctx context.Context, log NotifyLog, h *hookWorker, e incident.Event, handled int64) error {
	body, err := json.Marshal(n.notification(e))
	if err != nil {
		n.metrics.notified("failed")
		n.log.Error("encoding a notification", "seq", e.Seq, "err", err)
		return nil
	}
	for attempt := 0; ; attempt++ {
		if ctx.Err() != nil {
			return n.stopped(ctx, h, e)
		}
		retry, err := n.post(ctx, h, e, body)
		if err == nil {
			n.metrics.notified("sent")
			return nil
		}
		if ctx.Err() != nil {
			return n.stopped(ctx, h, e)
		}
		if !retry || attempt >= len(n.cfg.Backoff) {
			n.metrics.notified("failed")
			n.log.Warn("webhook notification failed", "hook", redactURL(h.URL), "seq", e.Seq, "type", e.Type,
				"attempts", attempt+1, "err", err)
			return nil
		}
		// Wait, renewing the lease so no other instance takes over.
		until := time.Now().Add(n.cfg.Backoff[attempt])
		for wait := time.Until(until); wait > 0; wait = time.Until(until) {
			select {
			case <-ctx.Done():
				return n.stopped(ctx, h, e)
			case <-time.After(min(wait, n.cfg.Poll)):
			}
			if err := log.AdvanceNotify(ctx, h.key, n.cfg.Instance, handled, n.cfg.Lease); err != nil {
				if ctx.Err() != nil {
					return n.stopped(ctx, h, e)
				}
				return err
			}
		}
	}
}

// stopped says, at shutdown, which notification was being tried: it and
// what follows it are posted at the next start.
func (n *Notifier) stopped(ctx context.Context, h *hookWorker, e incident.Event) error {
	n.log.Warn("shutting down while a notification is tried: it and the ones after it are posted when phasegate starts again",
		"hook", redactURL(h.URL), "seq", e.Seq, "type", e.Type)
	return ctx.Err()
}

// notifyGrace is how long a post under way may still finish once the
// server stops: cut off, the hook may have it but the cursor would not
// say so, and the next start would post it again.
const notifyGrace = 2 * time.Second

// post makes one attempt; retry says whether another may succeed.
func (n *Notifier) post(ctx context.Context, h *hookWorker, e incident.Event, body []byte) (retry bool, err error) {
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	defer context.AfterFunc(ctx, func() { time.AfterFunc(notifyGrace, cancel) })()
	req, err := http.NewRequestWithContext(pctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "phasegate-notify/1")
	req.Header.Set("X-Phasegate-Event", e.Type)
	req.Header.Set("X-Phasegate-Seq", strconv.FormatInt(e.Seq, 10))
	if h.Secret != nil {
		mac := hmac.New(sha256.New, h.Secret)
		mac.Write(body)
		req.Header.Set("X-Phasegate-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	res, err := n.cfg.Client.Do(req)
	if err != nil {
		return true, err
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	switch {
	case res.StatusCode < 300:
		return false, nil
	case res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500:
		return true, fmt.Errorf("the hook answered %s", res.Status)
	}
	return false, fmt.Errorf("the hook answered %s; check its address and what it accepts", res.Status)
}

// notification says the event in a sentence, with a link to the page
// where someone acts on it.
func (n *Notifier) notification(e incident.Event) Notification {
	// As the event log says it (templates/parts.html), in plain text.
	text := describeEvent(e).Text()
	if e.IncidentID != 0 {
		text = fmt.Sprintf("[incident %d] %s", e.IncidentID, text)
	}
	out := Notification{Text: text, Type: e.Type, Seq: e.Seq, IncidentID: e.IncidentID, At: e.At, Event: e}
	if base := strings.TrimRight(n.cfg.BaseURL, "/"); base != "" {
		out.Link = base + eventPage(e)
	}
	return out
}

// eventPage is the page of the UI where an event is acted on.
func eventPage(e incident.Event) string {
	switch {
	case strings.HasPrefix(e.Type, "approval."):
		return fmt.Sprintf("/incidents/%d/approvals", e.IncidentID)
	case strings.HasPrefix(e.Type, "status."):
		return fmt.Sprintf("/incidents/%d/updates", e.IncidentID)
	case strings.HasPrefix(e.Type, "user.") || strings.HasPrefix(e.Type, "auth."):
		return "/accounts"
	case strings.HasPrefix(e.Type, "estate."):
		return "/estate"
	case e.IncidentID != 0:
		return fmt.Sprintf("/incidents/%d", e.IncidentID)
	}
	return "/"
}

// redactURL keeps a hook's secret path out of the logs: many chat
// webhooks carry their token in the path.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unreadable URL)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}
