package server_test

import (
	"io"
	"net/http"
	"testing"
)

// discardWriter is the cheapest ResponseWriter: it keeps one header map
// (cleared each request) and throws the body away, so the benchmark
// measures the server's handling, not a recorder's.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }
func (w *discardWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// BenchmarkStatusPage serves the suppliers' page of the status fixture
// through the whole server (logging, metrics, cross-origin check, the
// mux), in process: plain, gzip, a 304 and an unknown audience.
func BenchmarkStatusPage(b *testing.B) {
	f := newStatusFixture(b)
	f.ts.get("/status/suppliers") // the first request renders
	for _, c := range []struct {
		name   string
		path   string
		header http.Header
		want   int
	}{
		{"plain", "/status/suppliers", nil, 200},
		{"gzip", "/status/suppliers", http.Header{"Accept-Encoding": {"gzip, deflate, br"}}, 200},
		{"not-modified", "/status/suppliers", http.Header{"If-None-Match": {f.ts.get("/status/suppliers").header.Get("ETag")}}, 304},
		{"feed", "/status/suppliers/feed.atom", nil, 200},
		{"unknown", "/status/martians", nil, 404},
	} {
		b.Run(c.name, func(b *testing.B) {
			req, err := http.NewRequest("GET", "http://127.0.0.1"+c.path, nil)
			if err != nil {
				b.Fatal(err)
			}
			req.RemoteAddr = "127.0.0.1:40000"
			if c.header != nil {
				req.Header = c.header
			}
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.status, w.n = 0, 0
				f.ts.srv.ServeHTTP(w, req)
				if w.status != c.want {
					b.Fatalf("status %d, want %d", w.status, c.want)
				}
			}
			b.ReportMetric(float64(w.n), "bytes/op")
		})
	}
}

// BenchmarkStatusPageOverHTTP is the page over loopback with keep-alive
// connections, client and server in one process: a rough in-process
// stand-in for the wrk measurement in docs/benchmarks.md.
func BenchmarkStatusPageOverHTTP(b *testing.B) {
	f := newStatusFixture(b)
	url := f.ts.url + "/status/suppliers"
	tr := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := client.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
}
