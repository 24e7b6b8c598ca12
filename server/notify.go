package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
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
// without watching a screen. Delivery is best effort: in order per hook,
// retried on network errors and 5xx/429, dropped (and counted) when a
// hook falls too far behind. Each instance posts the events it committed
// itself, never those it follows from another writer, so several
// instances on one store post each event once (ADR 0011).

// DefaultNotifyEvents are the event types posted when a hook names none:
// what waits for a person, what the public is told, and lock-outs.
var DefaultNotifyEvents = []string{
	incident.EventApprovalRequested, incident.EventAccountRequested, incident.EventStatusDrafted,
	incident.EventStatusPublished, incident.EventEstateUploaded, incident.EventIncidentDeclared,
	incident.EventIncidentClosed, incident.EventLockedOut,
}

// DefaultNotifyBackoff rides out a chat bridge that is down for most of
// an hour (about 49 minutes of retries): the usual way a notification
// is lost is a receiver being restarted, not phasegate. Delivery is in
// order per hook, so while one waits the rest of that hook's queue waits
// with it, which is right for a hook that is down.
var DefaultNotifyBackoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, time.Minute,
	2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 15 * time.Minute}

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
	// Queue is how many notifications a hook may fall behind before more
	// are dropped; 0: 1000.
	Queue int
	Log   *slog.Logger
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
	hooks   []*hookQueue
}

type hookQueue struct {
	Webhook
	match func(string) bool
	ch    chan incident.Event
}

// NewNotifier checks the hooks and returns a notifier; Run delivers.
func NewNotifier(cfg NotifyConfig, m *Metrics) (*Notifier, error) {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Backoff == nil {
		cfg.Backoff = DefaultNotifyBackoff
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 1000
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
		n.hooks = append(n.hooks, &hookQueue{Webhook: h, match: eventMatcher(events), ch: make(chan incident.Event, cfg.Queue)})
	}
	return n, nil
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

// Publish queues the events the hooks want. Events another writer
// committed (Followed) are left to the instance that committed them.
// Wire it into incident.Config.Publish beside the broker's.
func (n *Notifier) Publish(evs []incident.Event) {
	for _, e := range evs {
		if e.Followed {
			continue
		}
		for _, h := range n.hooks {
			if !h.match(e.Type) {
				continue
			}
			select {
			case h.ch <- e:
			default:
				n.metrics.notified("dropped")
				n.log.Warn("webhook too far behind: notification dropped", "hook", redactURL(h.URL), "seq", e.Seq, "type", e.Type)
			}
		}
	}
}

// Run delivers until ctx ends; what is still queued then is dropped,
// counted and logged with the events' numbers, so someone can read them
// in the event log.
func (n *Notifier) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, h := range n.hooks {
		wg.Go(func() {
			for {
				// Stopped: what is queued is dropped, not tried (a
				// select with both ready would pick either).
				if ctx.Err() != nil {
					n.dropQueued(h)
					return
				}
				select {
				case <-ctx.Done():
				case e := <-h.ch:
					n.deliver(ctx, h, e)
				}
			}
		})
	}
	wg.Wait()
}

// dropQueued empties a hook's queue at shutdown and says what it held.
func (n *Notifier) dropQueued(h *hookQueue) {
	var first, last int64
	count := 0
	for {
		select {
		case e := <-h.ch:
			if count == 0 {
				first = e.Seq
			}
			last, count = e.Seq, count+1
			n.metrics.notified("dropped")
		default:
			if count > 0 {
				n.log.Warn("shutting down: notifications not sent; the events are in the log", "hook", redactURL(h.URL),
					"count", count, "first_seq", first, "last_seq", last)
			}
			return
		}
	}
}

// deliver posts one notification, retrying as configured.
func (n *Notifier) deliver(ctx context.Context, h *hookQueue, e incident.Event) {
	body, err := json.Marshal(n.notification(e))
	if err != nil {
		n.metrics.notified("failed")
		n.log.Error("encoding a notification", "seq", e.Seq, "err", err)
		return
	}
	for attempt := 0; ; attempt++ {
		retry, err := n.post(ctx, h, e, body)
		if err == nil {
			n.metrics.notified("sent")
			return
		}
		if !retry || attempt >= len(n.cfg.Backoff) || ctx.Err() != nil {
			n.metrics.notified("failed")
			n.log.Warn("webhook notification failed", "hook", redactURL(h.URL), "seq", e.Seq, "type", e.Type,
				"attempts", attempt+1, "err", err)
			return
		}
		select {
		case <-ctx.Done():
			n.metrics.notified("failed")
			return
		case <-time.After(n.cfg.Backoff[attempt]):
		}
	}
}

// post makes one attempt; retry says whether another may succeed.
func (n *Notifier) post(ctx context.Context, h *hookQueue, e incident.Event, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
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
