package server

import (
	"github.com/phasegate/phasegate"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/phasegate/phasegate/incident"
)

// Metrics are the server's Prometheus figures, on a registry the caller
// owns (no global registry: two servers in one test process do not mix).
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	events    *prometheus.CounterVec
	followed  *prometheus.CounterVec
	notify    *prometheus.CounterVec
	notifyAt  *prometheus.GaugeVec
	loginFail *prometheus.CounterVec
	planTime  prometheus.Histogram
	sse       prometheus.Gauge
}

// NewMetrics registers the server's metrics, and the Go runtime and
// process collectors, on reg. Nil reg: a new registry.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "phasegate_http_requests_total",
			Help: "HTTP requests by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "phasegate_http_request_duration_seconds",
			Help:    "HTTP request latency by method and route pattern.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "route"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "phasegate_events_appended_total",
			Help: "Events this instance appended to the hash-chained log, by type.",
		}, []string{"type"}),
		followed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "phasegate_events_followed_total",
			Help: "Events another writer appended (another instance, break-glass on the host), seen by following the store, by type.",
		}, []string{"type"}),
		notify: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "phasegate_notifications_total",
			Help: "Webhook notifications: sent, failed (refused, or after every retry) or stale (older than the age limit when their turn came).",
		}, []string{"result"}),
		notifyAt: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "phasegate_notification_waiting_since_timestamp_seconds",
			Help: "When the oldest event a webhook wants but was not posted yet happened (Unix time); 0 when none waits. Alert on time() minus it.",
		}, []string{"hook"}),
		loginFail: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "phasegate_login_failures_total",
			Help: "Refused logins: wrong credentials, or throttled and locked out.",
		}, []string{"reason"}),
		planTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "phasegate_plan_computation_seconds",
			Help:    "Time to compute an incident's live plan on request.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}),
		sse: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "phasegate_sse_clients",
			Help: "Clients connected to the event stream.",
		}),
	}
	reg.MustRegister(m.requests, m.latency, m.events, m.followed, m.notify, m.notifyAt, m.loginFail, m.planTime, m.sse,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is where the metrics live.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *Metrics) observeRequest(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(method, route).Observe(d.Seconds())
}

// EventsAppended counts committed events: this instance's, and apart
// those another writer committed (Event.Followed).
func (m *Metrics) EventsAppended(evs []incident.Event) {
	for _, e := range evs {
		if e.Followed {
			m.followed.WithLabelValues(e.Type).Inc()
		} else {
			m.events.WithLabelValues(e.Type).Inc()
		}
	}
}

func (m *Metrics) notified(result string) { m.notify.WithLabelValues(result).Inc() }

// notifyWaiting says since when a hook's oldest unposted event waits
// (zero time: nothing waits).
func (m *Metrics) notifyWaiting(hook string, since time.Time) {
	v := 0.0
	if !since.IsZero() {
		v = float64(since.UnixMicro()) / 1e6
	}
	m.notifyAt.WithLabelValues(hook).Set(v)
}

func (m *Metrics) loginFailed(reason string) { m.loginFail.WithLabelValues(reason).Inc() }

// credentialsRefused counts a refused login or one-time code: throttled
// (locked out or too soon), or the credentials wrong (reason).
func (m *Metrics) credentialsRefused(err error, reason string) {
	switch phasegate.ErrorCode(err) {
	case phasegate.ETOOMANY:
		m.loginFailed("throttled")
	case phasegate.EUNAUTHORIZED:
		m.loginFailed(reason)
	}
}

func (m *Metrics) planComputed(d time.Duration) { m.planTime.Observe(d.Seconds()) }
