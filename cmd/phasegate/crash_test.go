package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// buildBinary builds phasegate as users get it (CGO off) into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "phasegate")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// server is a phasegate serve process.
type serverProcess struct {
	cmd    *exec.Cmd
	url    string
	stderr *lockedBuffer
}

func startBinary(t *testing.T, bin string, args ...string) *serverProcess {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{cmd: cmd, stderr: &lockedBuffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`listening on (http://\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case p.url = <-found:
	case <-time.After(60 * time.Second):
		t.Fatalf("the server did not start within 60s; stderr:\n%s", p.stderr)
	}
	return p
}

// TestSIGKILLLosesNoAcknowledgedEvent builds the real binary, has many
// clients write at once, kills the server with SIGKILL mid-write,
// restarts it, and finds every write that was acknowledged in the log,
// with the hash chain intact.
func TestSIGKILLLosesNoAcknowledgedEvent(t *testing.T) {
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	db := filepath.Join(dir, "phasegate.db")
	tok := breakGlassToken(t, db, "fred", "forensics")

	p := startBinary(t, bin, "--db", db, "--demo")
	call := func(url, method, path string, body any) (int, []byte, error) {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, url+path, rd)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer res.Body.Close()
		data, err := io.ReadAll(res.Body)
		return res.StatusCode, data, err
	}
	code, body, err := call(p.url, "GET", "/api/v1/incidents/1", nil)
	if err != nil || code != 200 {
		t.Fatalf("demo incident: %d %v %s", code, err, body)
	}
	var view incident.IncidentView
	json.Unmarshal(body, &view)
	var systems []string
	for _, s := range view.Systems {
		if s.State == incident.StateIsolated {
			systems = append(systems, s.SystemID)
		}
	}
	if len(systems) < 8 {
		t.Fatalf("only %d isolated systems in the demo", len(systems))
	}

	// Writers move their system with a unique reason until the server
	// dies; a write counts as acknowledged when it answered 200.
	const writers = 8
	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			sys := systems[w]
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				note := fmt.Sprintf("w%d-%d", w, i)
				code, _, err := call(p.url, "POST", fmt.Sprintf("/api/v1/incidents/1/systems/%s/transition", sys),
					map[string]string{"to": nextState(i), "reason": note})
				if err != nil {
					return // the server is gone
				}
				if code == 200 {
					mu.Lock()
					acked[note] = true
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(1500 * time.Millisecond)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
	close(stop)
	wg.Wait()
	if len(acked) < writers {
		t.Fatalf("only %d writes acknowledged before the kill; the test proves nothing", len(acked))
	}

	// Restart on the same file and look for every acknowledged write.
	p2 := startBinary(t, bin, "--db", db)
	found := map[string]bool{}
	after := int64(0)
	for {
		code, body, err := call(p2.url, "GET", fmt.Sprintf("/api/v1/incidents/1/events?after=%d&limit=1000", after), nil)
		if err != nil || code != 200 {
			t.Fatalf("events after restart: %d %v %s", code, err, body)
		}
		var page struct {
			Events  []incident.Event `json:"events"`
			LastSeq int64            `json:"last_seq"`
			More    bool             `json:"more"`
		}
		json.Unmarshal(body, &page)
		for _, e := range page.Events {
			var pl struct {
				Reason string `json:"reason"`
			}
			json.Unmarshal(e.Payload, &pl)
			if e.Type == incident.EventSystemTransitioned && strings.HasPrefix(pl.Reason, "w") {
				found[pl.Reason] = true
			}
		}
		after = page.LastSeq
		if !page.More {
			break
		}
	}
	missing := 0
	for note := range acked {
		if !found[note] {
			missing++
			if missing < 5 {
				t.Errorf("acknowledged write %s is not in the log after the restart", note)
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged writes lost", missing, len(acked))
	}
	p2.cmd.Process.Signal(syscall.SIGTERM)
	if err := p2.cmd.Wait(); err != nil {
		t.Errorf("graceful stop on SIGTERM: %v; stderr:\n%s", err, p2.stderr)
	}
	for _, want := range []string{"stopping HTTP", "stopping workers", "closing the store", "stopped"} {
		if !strings.Contains(p2.stderr.String(), want) {
			t.Errorf("SIGTERM shutdown did not log %q", want)
		}
	}
	out, err := exec.Command(bin, "audit", "verify", "--db", db).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "OK:") {
		t.Fatalf("audit verify after the crash: %v\n%s", err, out)
	}
	t.Logf("%d acknowledged writes by %d clients, all present after SIGKILL; %s", len(acked), writers, strings.TrimSpace(string(out)))
}

// nextState cycles a system isolated → investigating → compromised →
// isolated: moves that are always allowed and need no checklist.
func nextState(i int) string {
	return string([]incident.State{incident.StateInvestigating, incident.StateCompromised, incident.StateIsolated}[i%3])
}
