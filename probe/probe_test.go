package probe_test

import (
	"context"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/probe"
)

func run(t *testing.T, p *probe.Prober, c estate.Check, timeout time.Duration) (bool, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	r := p.Probe(ctx, c)
	if r.Check != c.String() || r.Millis < 0 {
		t.Errorf("result names %q (%d ms), want %q", r.Check, r.Millis, c.String())
	}
	return r.OK, r.Detail
}

// TestHTTPChecks runs HTTP checks against real servers on 127.0.0.1.
func TestHTTPChecks(t *testing.T) {
	hung := make(chan struct{})
	defer close(hung)
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		if r.UserAgent() != probe.UserAgent {
			http.Error(w, "who are you", 400)
			return
		}
		w.Write([]byte(`{"status":"UP"}`))
	})
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "maintenance", 503) })
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/sso?next=/health", http.StatusFound)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", probe.MaxBody)))
		w.Write([]byte("UP"))
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hung:
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	p := probe.New(nil)
	for _, tc := range []struct {
		name   string
		check  estate.Check
		ok     bool
		detail string
	}{
		{"up", estate.Check{HTTP: srv.URL + "/health"}, true, "HTTP 200 in "},
		{"up and contains", estate.Check{HTTP: srv.URL + "/health", Contains: `"UP"`}, true, `containing "\"UP\""`},
		{"contains not", estate.Check{HTTP: srv.URL + "/health", Contains: "DOWN"}, false, `do not contain "DOWN"`},
		{"down", estate.Check{HTTP: srv.URL + "/down"}, false, "HTTP 503 in "},
		{"down wanted", estate.Check{HTTP: srv.URL + "/down", Status: 503}, true, "HTTP 503"},
		{"redirect not followed", estate.Check{HTTP: srv.URL + "/login"}, false, "HTTP 302 in"},
		{"not found", estate.Check{HTTP: srv.URL + "/nothing"}, false, "HTTP 404"},
		{"past the first 64 KiB", estate.Check{HTTP: srv.URL + "/big", Contains: "UP"}, false, "first 65536 bytes"},
		{"hangs", estate.Check{HTTP: srv.URL + "/hang"}, false, "no answer within the timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, detail := run(t, p, tc.check, 500*time.Millisecond)
			if ok != tc.ok || !strings.Contains(detail, tc.detail) {
				t.Fatalf("%s: ok %v %q, want %v and %q", tc.check, ok, detail, tc.ok, tc.detail)
			}
		})
	}
	if _, detail := run(t, p, estate.Check{HTTP: srv.URL + "/login"}, time.Second); !strings.Contains(detail, "redirects to /sso?next=/health") {
		t.Errorf("redirect detail %q does not say where to", detail)
	}
}

// TestHTTPSChecks: a certificate from an unknown CA fails and says what
// to do; with the CA given (serve --probe-ca) it passes.
func TestHTTPSChecks(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c := estate.Check{HTTP: srv.URL + "/"}
	ok, detail := run(t, probe.New(nil), c, 2*time.Second)
	if ok || !strings.Contains(detail, "--probe-ca") {
		t.Fatalf("unknown CA: ok %v %q", ok, detail)
	}
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	if ok, detail := run(t, probe.New(pool), c, 2*time.Second); !ok {
		t.Fatalf("with the CA: %q", detail)
	}
}

// TestTCPChecks: an open port passes, a closed one is refused.
func TestTCPChecks(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	open := ln.Addr().String()
	p := probe.New(nil)
	if ok, detail := run(t, p, estate.Check{TCP: open}, time.Second); !ok || !strings.Contains(detail, "opened in") {
		t.Fatalf("open port: %v %q", ok, detail)
	}
	ln.Close()
	if ok, detail := run(t, p, estate.Check{TCP: open}, time.Second); ok || detail != "connection refused" {
		t.Fatalf("closed port: %v %q", ok, detail)
	}
}

// TestRootsRefusesAFileWithoutCertificates says what to give instead.
func TestRootsRefusesAFileWithoutCertificates(t *testing.T) {
	f := t.TempDir() + "/ca.pem"
	if err := os.WriteFile(f, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := probe.Roots(f); err == nil || !strings.Contains(err.Error(), "BEGIN CERTIFICATE") {
		t.Fatalf("Roots: %v", err)
	}
	if _, err := probe.Roots(f + ".missing"); err == nil || !strings.Contains(err.Error(), "--probe-ca") {
		t.Fatalf("Roots of a missing file: %v", err)
	}
}

// TestLinkLocalIsRefused: the metadata service's address is refused
// before any connection is attempted (no packet leaves the machine).
func TestLinkLocalIsRefused(t *testing.T) {
	p := probe.New(nil)
	for _, c := range []estate.Check{
		{HTTP: "http://169.254.169.254/latest/meta-data/"},
		{TCP: "169.254.169.254:80"},
		{TCP: "[fe80::1]:80"},
	} {
		ok, detail := run(t, p, c, time.Second)
		if ok || !strings.Contains(detail, "link-local") {
			t.Errorf("%s: ok %v %q", c, ok, detail)
		}
	}
}
