// Package probe runs the checks an estate gives its systems (estate.Check)
// over the network: the adapter behind incident.Prober. An HTTP check is
// one GET that must answer the status wanted (redirects are not
// followed) and, when asked, contain a text in the first 64 KiB of its
// body; a TCP check is a connection that must open. Nothing here panics
// or waits past the check's context: every failure is a result.
package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/incident"
)

// MaxBody is how much of an HTTP answer a check reads.
const MaxBody = 64 << 10

// UserAgent names phasegate in the systems' logs.
const UserAgent = "phasegate-verify/1"

// Prober runs checks. The zero value is not usable: use New.
type Prober struct {
	client *http.Client
	dialer *net.Dialer
}

// New returns a prober that trusts the system's roots plus extra (nil:
// none), goes direct (no proxy from the environment: checks are about
// the systems, not the way out), keeps no connection between checks and
// refuses link-local addresses.
func New(extra *x509.CertPool) *Prober {
	dialer := &net.Dialer{KeepAlive: -1, Control: refuseLinkLocal}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if extra != nil {
		tlsConf.RootCAs = extra
	}
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		TLSClientConfig:        tlsConf,
		DisableKeepAlives:      true,
		ForceAttemptHTTP2:      true,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &Prober{dialer: dialer, client: &http.Client{
		Transport: tr,
		// A redirect answers its own status: a health page that
		// redirects to a login page is not healthy.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// errLinkLocal refuses link-local addresses (169.254.0.0/16, fe80::/10):
// cloud metadata services answer there, and an estate must not be a way
// to read them from the server.
var errLinkLocal = errors.New("link-local addresses (where cloud metadata services answer) are not checked; check the system at its own address")

// refuseLinkLocal runs before each connection is made.
func refuseLinkLocal(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip != nil && (ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast()) {
		return errLinkLocal
	}
	return nil
}

// Roots returns the system's roots with the PEM certificates of file
// added, for an internal CA (serve --probe-ca).
func Roots(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--probe-ca %s: %v", file, err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--probe-ca %s: no PEM certificate in it; give the internal CA's certificate (-----BEGIN CERTIFICATE-----)", file)
	}
	return pool, nil
}

// Probe runs one check within ctx (its deadline is the check's timeout).
func (p *Prober) Probe(ctx context.Context, c estate.Check) incident.CheckResult {
	start := time.Now()
	var ok bool
	var detail string
	if c.TCP != "" {
		ok, detail = p.tcp(ctx, c)
	} else {
		ok, detail = p.http(ctx, c)
	}
	ms := time.Since(start).Milliseconds()
	return incident.CheckResult{Check: c.String(), OK: ok, Detail: strings.ReplaceAll(detail, "{ms}", fmt.Sprintf("%d ms", ms)), Millis: ms}
}

func (p *Prober) tcp(ctx context.Context, c estate.Check) (bool, string) {
	conn, err := p.dialer.DialContext(ctx, "tcp", c.TCP)
	if err != nil {
		return false, failure(ctx, err)
	}
	conn.Close()
	return true, "opened in {ms}"
}

func (p *Prober) http(ctx context.Context, c estate.Check) (bool, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.HTTP, nil)
	if err != nil {
		return false, "cannot make the request: " + err.Error()
	}
	req.Header.Set("User-Agent", UserAgent)
	res, err := p.client.Do(req)
	if err != nil {
		return false, failure(ctx, err)
	}
	defer res.Body.Close()
	want := c.WantStatus()
	if res.StatusCode != want {
		detail := fmt.Sprintf("HTTP %d in {ms}, want %d", res.StatusCode, want)
		if loc := res.Header.Get("Location"); loc != "" && res.StatusCode >= 300 && res.StatusCode < 400 {
			detail += " (it redirects to " + shorten(loc, 80) + ")"
		}
		return false, detail
	}
	if c.Contains == "" {
		return true, fmt.Sprintf("HTTP %d in {ms}", res.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, MaxBody))
	if err != nil {
		return false, fmt.Sprintf("HTTP %d, but reading the answer failed: %s", res.StatusCode, failure(ctx, err))
	}
	if !bytes.Contains(body, []byte(c.Contains)) {
		return false, fmt.Sprintf("HTTP %d in {ms}, but the first %d bytes of the answer do not contain %q", res.StatusCode, len(body), c.Contains)
	}
	return true, fmt.Sprintf("HTTP %d in {ms}, containing %q", res.StatusCode, c.Contains)
}

// failure says in words why a check could not be made.
func failure(ctx context.Context, err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return "no answer within the timeout"
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return "the name " + dnsErr.Name + " does not resolve"
	case errors.As(err, &certErr):
		return "its TLS certificate is not trusted (" + shorten(certErr.Err.Error(), 120) + "); give the internal CA with phasegate serve --probe-ca FILE"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, errLinkLocal):
		return errLinkLocal.Error()
	}
	return shorten(err.Error(), 200)
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
