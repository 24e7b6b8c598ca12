package northfield

import (
	"bytes"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phasegate/phasegate/estate"
)

// TestParse loads the embedded estate through the real parser and checks
// the properties the demo promises: its size, its calibration and its
// backlog items.
func TestParse(t *testing.T) {
	files, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	e, err := estate.Parse(files...)
	if err != nil && strings.Contains(err.Error(), "parser not written yet") {
		// The parser lands on another branch; until then TestInvoices and
		// the throwaway checker described in README.md cover the files.
		t.Skip("estate.Parse is still a stub:", err)
	}
	if err != nil {
		t.Fatalf("the demo estate does not parse:\n%v", err)
	}
	if got, want := e.Organization, "Northfield Motors"; got != want {
		t.Errorf("organization = %q, want %q", got, want)
	}
	if got, want := e.Currency, "GBP"; got != want {
		t.Errorf("currency = %q, want %q", got, want)
	}
	if !e.Start.IsZero() {
		t.Errorf("start = %v, want none: the demo's clock starts when it is loaded", e.Start)
	}
	if n := len(e.Systems); n < 80 || n > 150 {
		t.Errorf("%d systems, want 80 to 150", n)
	}
	if got, want := e.ClearanceTeam, "forensics"; got != want {
		t.Errorf("clearance team = %q, want %q", got, want)
	}

	// About £1bn over three weeks: £45m to £50m a day, production most of it.
	var loss, production float64
	for _, s := range e.Services {
		loss += s.LossPerDay()
		if strings.HasPrefix(s.ID, "production-") {
			production += s.LossPerDay()
		}
	}
	if loss < 45e6 || loss > 50e6 {
		t.Errorf("daily loss £%.1fm, want £45m to £50m", loss/1e6)
	}
	if production < loss/2 {
		t.Errorf("production loses £%.1fm of £%.1fm a day, want it to dominate", production/1e6, loss/1e6)
	}

	var invoices *estate.Backlog
	for i := range e.Backlogs {
		if e.Backlogs[i].ID == "supplier-invoices" {
			invoices = &e.Backlogs[i]
		}
	}
	if invoices == nil {
		t.Fatal("no supplier-invoices backlog")
	}
	rows := readInvoices(t)
	if got, want := len(invoices.Items), len(rows); got != want {
		t.Errorf("supplier-invoices has %d items, the CSV has %d rows", got, want)
	}
}

// TestInvoices checks the generated invoice file on its own: well formed,
// dated in September and October 2025, and the critical flag held by
// whole suppliers.
func TestInvoices(t *testing.T) {
	rows := readInvoices(t)
	if len(rows) < 1000 {
		t.Fatalf("%d invoices, want at least 1,000", len(rows))
	}
	ids := map[string]bool{}
	critical := map[string]bool{}
	suppliers := map[string]bool{}
	for i, r := range rows {
		line := i + 2
		if ids[r[0]] {
			t.Errorf("line %d: duplicate id %s", line, r[0])
		}
		ids[r[0]] = true
		suppliers[r[1]] = true
		if a, err := strconv.ParseFloat(r[2], 64); err != nil || a <= 0 {
			t.Errorf("line %d: amount %q", line, r[2])
		}
		due, err := time.Parse(time.DateOnly, r[3])
		if err != nil {
			t.Errorf("line %d: due: %v", line, err)
		}
		received, err := time.Parse(time.DateOnly, r[4])
		if err != nil {
			t.Errorf("line %d: received: %v", line, err)
		}
		if due.Before(date(2025, time.September, 1)) || due.After(date(2025, time.October, 31)) {
			t.Errorf("line %d: due %s, want September or October 2025", line, r[3])
		}
		if received.After(due) {
			t.Errorf("line %d: received %s after due %s", line, r[4], r[3])
		}
		c, err := strconv.ParseBool(r[5])
		if err != nil {
			t.Errorf("line %d: critical %q", line, r[5])
		}
		if prev, seen := critical[r[1]]; seen && prev != c {
			t.Errorf("line %d: %s is critical on some invoices only", line, r[1])
		}
		critical[r[1]] = c
	}
	if n := len(suppliers); n < 200 || n > 700 {
		t.Errorf("%d suppliers, want a few hundred", n)
	}
	n := 0
	for _, c := range critical {
		if c {
			n++
		}
	}
	if n == 0 || n > len(suppliers)/4 {
		t.Errorf("%d of %d suppliers critical, want some but not most", n, len(suppliers))
	}
}

// TestGeneratorInSync regenerates the invoice file and compares bytes, so
// a change to gen/main.go cannot leave a stale CSV behind.
func TestGeneratorInSync(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the generator")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	out := filepath.Join(t.TempDir(), "supplier-invoices.csv")
	cmd := exec.Command(goBin, "run", "gen/main.go", "-o", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run gen/main.go: %v\n%s", err, msg)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := files.ReadFile("supplier-invoices.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("supplier-invoices.csv is stale: run `go run examples/northfield-motors/gen/main.go` from the repository root")
	}
}

func readInvoices(t *testing.T) [][]string {
	t.Helper()
	f, err := files.Open("supplier-invoices.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(rows[0], ","), "id,supplier,amount,due,received,critical"; got != want {
		t.Fatalf("header %q, want %q", got, want)
	}
	return rows[1:]
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
