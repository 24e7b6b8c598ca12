package estate

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// readDir loads every file of a test estate directory, named relative
// to it, in name order.
func readDir(t *testing.T, dir string) []File {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	var files []File
	for _, n := range names {
		if strings.HasSuffix(n, ".golden") {
			continue
		}
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, File{Name: filepath.ToSlash(strings.TrimPrefix(n, dir+string(filepath.Separator))), Data: data})
	}
	return files
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs (run go test -update after checking the change):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// The example estate: two files and an items CSV, all valid.
func TestParseExample(t *testing.T) {
	files := readDir(t, "testdata/estate")
	if got, want := ItemRefs(files...), []string{"invoices.csv"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ItemRefs = %q, want %q", got, want)
	}
	e, err := Parse(files...)
	if err != nil {
		t.Fatal(err)
	}
	if e.Version != 1 || e.Organization != "Example Motors plc" || e.Currency != "GBP" || e.ClearanceTeam != "forensics" {
		t.Errorf("top level = %d %q %q %q", e.Version, e.Organization, e.Currency, e.ClearanceTeam)
	}
	if want := time.Date(2025, 9, 1, 7, 0, 0, 0, time.UTC); !e.Start.Equal(want) {
		t.Errorf("start = %v, want %v", e.Start, want)
	}
	ix := e.Index()
	erp := ix.Systems["sap-erp"]
	if erp == nil {
		t.Fatal("no sap-erp")
	}
	if got, want := erp.Needs, []Need{{"dba", 1}, {"sap-basis", 2}}; !reflect.DeepEqual(got, want) {
		t.Errorf("sap-erp needs = %v, want %v (sorted by team)", got, want)
	}
	if got, want := erp.Restore, Point(36*time.Hour); got != want {
		t.Errorf("sap-erp restore = %v, want %v", got, want)
	}
	if erp.Pos != (Pos{File: "estate.yaml", Line: 33, Column: 5}) {
		t.Errorf("sap-erp pos = %+v", erp.Pos)
	}
	db := ix.Systems["sap-db"]
	if got, want := db.Restore, (Estimate{24 * time.Hour, 48 * time.Hour, 96 * time.Hour}); got != want {
		t.Errorf("sap-db restore = %v, want %v", got, want)
	}
	if db.Clearance == nil || *db.Clearance != Point(24*time.Hour) {
		t.Errorf("sap-db clearance = %v", db.Clearance)
	}
	// Defaults.
	if db.Name != "sap-db" || db.Criticality != 3 || !reflect.DeepEqual(db.Needs, []Need{{"dba", 1}}) {
		t.Errorf("sap-db defaults: name %q criticality %d needs %v", db.Name, db.Criticality, db.Needs)
	}
	if ix.Teams["sap-basis"].Name != "sap-basis" {
		t.Errorf("team name default = %q", ix.Teams["sap-basis"].Name)
	}
	if s := ix.Services["pay-suppliers"]; s.Name != "pay-suppliers" || s.LossPerDay() != 20000 {
		t.Errorf("pay-suppliers = %+v", s)
	}
	b := ix.Backlogs["supplier-invoices"]
	if b.ItemsFile != "invoices.csv" || len(b.Items) != 3 || b.Policy != "smallest-supplier-first" {
		t.Fatalf("backlog = %+v", b)
	}
	want := BacklogItem{ID: "INV-1001", Supplier: "Acme Fasteners", Amount: 12000.5,
		Due: time.Date(2025, 9, 10, 0, 0, 0, 0, time.UTC), Received: time.Date(2025, 8, 20, 0, 0, 0, 0, time.UTC), Critical: true}
	if b.Items[0] != want {
		t.Errorf("item 0 = %+v, want %+v", b.Items[0], want)
	}
	if !b.Items[2].Critical || b.Items[1].Critical || !b.Items[1].Received.IsZero() {
		t.Errorf("items 1, 2 = %+v %+v", b.Items[1], b.Items[2])
	}
	// The second file's systems follow the first's.
	if last := e.Systems[len(e.Systems)-1]; last.ID != "mes" || last.Pos.File != "plants.yaml" {
		t.Errorf("last system = %s from %s", last.ID, last.Pos.File)
	}
}

// The broken estate has a mistake of most kinds, spread over files; its
// rendering is what a user reads, so it is kept as a golden file.
func TestParseBrokenGolden(t *testing.T) {
	files := readDir(t, "testdata/broken")
	_, err := Parse(files...)
	if err == nil {
		t.Fatal("no error")
	}
	golden(t, "testdata/broken.golden", []byte(err.Error()+"\n"))
}

func TestMerge(t *testing.T) {
	a := File{Name: "a.yaml", Data: []byte(head + okSystems)}
	for _, tc := range []struct {
		name string
		b    string
		want []string // "file:line:col field => message"
	}{
		{"lists concatenate", "version: 1\nteams: [{id: ops, capacity: 1}]\nsystems: [{id: dns, kind: network, team: ops, restore: 1h, requires: [ad]}]\n", nil},
		{"agreeing scalars", "version: 1\norganization: Test Ltd\ncurrency: GBP\n", nil},
		{"organization differs", "version: 1\norganization: Test plc\n", []string{
			"b.yaml:2:15 organization => is \"Test plc\" here but \"Test Ltd\" at a.yaml:2:15 (the files of one estate must agree: set it in one file only, or to the same value)"}},
		{"start differs", "version: 1\nstart: 2025-09-01T08:00:00Z\n---\n", nil},
		{"system defined twice", "version: 1\nsystems:\n  - {id: ad, kind: identity, team: infra, restore: 2d}\n", []string{
			"b.yaml:3:10 systems[ad].id => \"ad\" is already the id of the system at a.yaml:8:5 (give every system an id of its own)"}},
		{"team defined twice", "version: 1\nteams: [{id: dba, capacity: 4}]\n", []string{"b.yaml:2:14 teams[dba].id"}},
		{"version missing in second file", "teams: [{id: ops, capacity: 1}]\n", []string{"b.yaml:1:1 version => is missing (start every estate file with \"version: 1\")"}},
		{"second file unreadable", "version: 1\nsystems: [\n", []string{"b.yaml:2:0 "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(a, File{Name: "b.yaml", Data: []byte(tc.b)})
			var got []string
			if err != nil {
				for _, p := range err.(Problems) {
					got = append(got, p.File+":"+itoa(p.Line)+":"+itoa(p.Column)+" "+p.Field+" => "+p.Message+" ("+p.Fix+")")
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for i := range got {
				place, _, full := strings.Cut(tc.want[i], " => ")
				if full && got[i] != tc.want[i] || !full && !strings.HasPrefix(got[i], place+" => ") && !strings.HasPrefix(got[i], place+"=> ") {
					t.Errorf("problem %d\n got: %s\nwant: %s", i, got[i], tc.want[i])
				}
			}
		})
	}
	// Agreeing start times in different zones are the same instant.
	b := File{Name: "b.yaml", Data: []byte("version: 1\nstart: 2025-09-01T09:00:00+01:00\n")}
	c := File{Name: "c.yaml", Data: []byte("version: 1\nstart: 2025-09-01T08:00:00Z\n")}
	if _, err := Parse(a, b, c); err != nil {
		t.Errorf("same start in two zones: %v", err)
	}
	c.Data = []byte("version: 1\nstart: 2025-09-02T08:00:00Z\n")
	if _, err := Parse(a, b, c); err == nil || !strings.Contains(err.Error(), "c.yaml:2:8: start: is 2025-09-02T08:00:00Z here but 2025-09-01T09:00:00+01:00 at b.yaml:2:8") {
		t.Errorf("different start: %v", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestItemsFiles(t *testing.T) {
	est := func(items string) File {
		return File{Name: "estate/finance/estate.yaml", Data: []byte(head + okSystems + backlogHead + "    items: " + items + "\n")}
	}
	csv := func(name, data string) File { return File{Name: name, Data: []byte(data)} }
	good := "id,supplier,amount\nI-1,acme,10\n"

	// Paths are relative to the estate file's directory and cleaned.
	for _, tc := range []struct{ items, file string }{
		{"invoices.csv", "estate/finance/invoices.csv"},
		{"./data/../invoices.csv", "estate/finance/invoices.csv"},
		{"../shared/invoices.csv", "estate/shared/invoices.csv"},
		{"/srv/invoices.csv", "/srv/invoices.csv"},
	} {
		f := est(tc.items)
		if got := ItemRefs(f); !reflect.DeepEqual(got, []string{tc.file}) {
			t.Errorf("ItemRefs(items: %s) = %q, want [%s]", tc.items, got, tc.file)
		}
		e, err := Parse(f, csv(tc.file, good))
		if err != nil {
			t.Errorf("items: %s with %s: %v", tc.items, tc.file, err)
			continue
		}
		if b := e.Backlogs[0]; b.ItemsFile != tc.items || len(b.Items) != 1 || b.Items[0].ID != "I-1" {
			t.Errorf("items: %s: backlog %+v", tc.items, b)
		}
	}

	// Named but not given; given but not named.
	ps := parseProblems(t, est("invoices.csv"), csv("estate/finance/invoice.csv", good))
	if len(ps) != 2 ||
		ps[0].String() != "estate/finance/estate.yaml:16:12: backlogs[inv].items: the items file estate/finance/invoices.csv was not given (a file estate/finance/invoice.csv was given; did you mean \"estate/finance/invoice.csv\"?)" ||
		ps[1].String() != "estate/finance/invoice.csv: no backlog names this items file (name it in a backlog (\"items: invoice.csv\", relative to the estate file), or leave it out)" {
		t.Errorf("problems:\n%v", ps)
	}

	// ItemRefs is lenient: broken files name what they can, and nothing
	// is named twice.
	broken := File{Name: "x/b.yaml", Data: []byte("version: 9\nbacklogs:\n  - {items: a.csv}\n  - {items: [1]}\n  - items: ./a.csv\n  - nonsense\n")}
	if got, want := ItemRefs(broken, File{Name: "x/a.csv"}, File{Name: "bad.yaml", Data: []byte("{{{")}), []string{"x/a.csv"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ItemRefs of broken files = %q, want %q", got, want)
	}
}

// Each case is the text of an items file, invoices.csv, and the
// problems expected in it.
func TestItemsCSV(t *testing.T) {
	estate := File{Name: "estate.yaml", Data: []byte(head + okSystems + backlogHead + "    items: invoices.csv\n")}
	for _, tc := range []struct {
		name, csv string
		want      []string
		items     int
	}{
		{"all columns", "id,supplier,amount,due,received,critical\nI-1,acme,10.5,2025-10-01,2025-09-01T10:00:00+01:00,yes\nI-2,,,,,\n", nil, 2},
		{"any order and case, BOM, CRLF, blank rows", "\ufeffSupplier,ID\r\nacme,I-1\r\n,\r\n\r\n", nil, 1},
		{"quoted cells", "id,supplier\n\"I-1\",\"Acme, Fasteners \"\"Ltd\"\"\"\n", nil, 1},
		{"header only", "id\n", nil, 0},
		{"empty", "", []string{"0:0 => the items file is empty (start it with a header row naming the columns, e.g. \"id,supplier,amount,due\")"}, 0},
		{"unknown column", "id,supplier,ammount\n", []string{"1:13 => unknown column \"ammount\" (did you mean \"amount\"?)"}, 0},
		{"unknown column, BOM", "\ufeffid,colour\n", []string{"1:7 => unknown column \"colour\" (the columns of an items file are id, supplier, amount, due, received, critical)"}, 0},
		{"no id column", "supplier,amount\n", []string{"1:1 => the header has no id column (name the columns in the first row, with an id column, e.g. \"id,supplier,amount,due\")"}, 0},
		{"column twice", "id,amount,Amount\n", []string{"1:11 => column \"amount\" appears twice (keep one of the two)"}, 0},
		{"bad amount", "id,amount\nI-1,£10\n", []string{"2:5 amount => \"£10\" is not a number (write a plain number such as 1200.50, without currency signs or thousands separators)"}, 1},
		{"NaN amount", "id,amount\nI-1,NaN\n", []string{"2:5 amount"}, 1},
		{"huge amount", "id,amount\nI-1,1e999\n", []string{"2:5 amount => \"1e999\" is too large (write a number below 1e300)"}, 1},
		{"negative amount", "id,amount\nI-1,-10\n", []string{"2:5 backlogs[inv].items[#1].amount => is -10; it must be a number of at least 0 (write the amount in the estate's currency)"}, 1},
		{"bad date", "id,due\nI-1,01/10/2025\n", []string{"2:5 due => \"01/10/2025\" is not a date (YYYY-MM-DD) or an RFC 3339 time (write e.g. 2025-10-01 or 2025-10-01T09:00:00Z)"}, 1},
		{"bad critical", "id,critical\nI-1,maybe\n", []string{"2:5 critical => \"maybe\" is not true or false (write true, false, yes, no, 1 or 0)"}, 1},
		{"missing id", "id,supplier\n,acme\n", []string{"2:1 backlogs[inv].items[#1].id => is missing (give every item an id, such as its invoice number)"}, 1},
		{"duplicate id", "id\nI-1\nI-2\nI-1\n", []string{"4:1 backlogs[inv].items[#3].id => \"I-1\" is already the id of the item at invoices.csv:2:1 (give every item of a backlog an id of its own)"}, 3},
		{"short row", "id,supplier\nI-1\n", []string{"2:1 => this row has 1 cell but the header has 2 columns (give every row one cell per column; quote cells that contain commas)"}, 0},
		{"bare quote", "id,supplier\nI-1,ac\"me\n", []string{"2:7 => not valid CSV: bare \" in non-quoted-field (quote cells that contain commas, quotes or line breaks, and double any quote inside them)"}, 0},
		{"control character in supplier", "id,supplier\nI-1,a\x01b\n", []string{"2:5 backlogs[inv].items[#1].supplier"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(estate, File{Name: "invoices.csv", Data: []byte(tc.csv)})
			var ps Problems
			if err != nil {
				ps = err.(Problems)
			}
			checkProblems(t, ps, "invoices.csv", tc.want)
			if e != nil && len(e.Backlogs[0].Items) != tc.items {
				t.Errorf("%d items, want %d", len(e.Backlogs[0].Items), tc.items)
			}
		})
	}
}

// Inline items and CSV items read the same.
func TestItemsInlineEqualsCSV(t *testing.T) {
	inline, err := Parse(File{Name: "e.yaml", Data: []byte(head + okSystems + backlogHead + `    items:
      - {id: I-1, supplier: acme, amount: 10.5, due: 2025-10-01, received: "2025-09-01T10:00:00+01:00", critical: true}
      - {id: I-2}
`)})
	if err != nil {
		t.Fatal(err)
	}
	fromCSV, err := Parse(File{Name: "e.yaml", Data: []byte(head + okSystems + backlogHead + "    items: i.csv\n")},
		File{Name: "i.csv", Data: []byte("id,supplier,amount,due,received,critical\nI-1,acme,10.5,2025-10-01,2025-09-01T10:00:00+01:00,true\nI-2,,,,,\n")})
	if err != nil {
		t.Fatal(err)
	}
	a, b := inline.Backlogs[0].Items, fromCSV.Backlogs[0].Items
	if len(a) != 2 || len(b) != 2 {
		t.Fatalf("items %v / %v", a, b)
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Supplier != b[i].Supplier || a[i].Amount != b[i].Amount || !a[i].Due.Equal(b[i].Due) || !a[i].Received.Equal(b[i].Received) || a[i].Critical != b[i].Critical {
			t.Errorf("item %d: inline %+v, csv %+v", i, a[i], b[i])
		}
	}
}

func TestParseNoEstateFile(t *testing.T) {
	for _, files := range [][]File{nil, {{Name: "a.csv", Data: []byte("id\n")}}} {
		_, err := Parse(files...)
		if err == nil || err.Error() != "no estate file was given (name at least one estate file (YAML or JSON))" {
			t.Errorf("Parse(%d files) = %v", len(files), err)
		}
	}
}
