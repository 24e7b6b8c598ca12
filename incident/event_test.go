package incident

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

// RFC 8785 examples and edge cases of the canonical form.
func TestCanonicalJSON(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"b":1,"a":[true,false,null]}`, `{"a":[true,false,null],"b":1}`},
		{` { "z" : "x" , "é":2, "\u20ac":3, "\ud83d\ude00":4, "\ufb33":5 } `, "{\"z\":\"x\",\"é\":2,\"€\":3,\"\U0001F600\":4,\"\ufb33\":5}"},
		{`"\u0001\t\"\\/<>&\u2028"`, "\"\\u0001\\t\\\"\\\\/<>&\u2028\""},
		{`[1.0, 1e2, -0, 0.000001, 1e-7, 1e21, 123456789012345678901, 4.50, 2e-3, 333333333.33333329]`,
			`[1,100,0,0.000001,1e-7,1e+21,123456789012345680000,4.5,0.002,333333333.3333333]`},
		{``, `null`},
	}
	for _, c := range cases {
		got, err := CanonicalJSON([]byte(c.in))
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if string(got) != c.want {
			t.Errorf("CanonicalJSON(%s)\n got %s\nwant %s", c.in, got, c.want)
		}
	}
	for _, bad := range []string{`{`, `1 2`, `1e400`} {
		if _, err := CanonicalJSON([]byte(bad)); err == nil {
			t.Errorf("CanonicalJSON(%s) accepted", bad)
		}
	}
}

// formatES must agree with ECMAScript's Number.prototype.toString; these
// values are from RFC 8785 appendix B.
func TestFormatES(t *testing.T) {
	cases := map[uint64]string{
		0x0000000000000000: "0", 0x8000000000000000: "0", 0x0000000000000001: "5e-324",
		0x8000000000000001: "-5e-324", 0x7fefffffffffffff: "1.7976931348623157e+308",
		0x4340000000000000: "9007199254740992", 0x444b1ae4d6e2ef4f: "999999999999999900000",
		0x444b1ae4d6e2ef50: "1e+21", 0x3eb0c6f7a0b5ed8d: "0.000001", 0x3eb0c6f7a0b5ed8c: "9.999999999999997e-7",
		0x3e7ad7f29abcaf48: "1e-7", 0x4024000000000000: "10", 0x4031000000000000: "17",
		0x4041000000000000: "34",
	}
	for bits, want := range cases {
		if got := formatES(math.Float64frombits(bits)); got != want {
			t.Errorf("formatES(%#x) = %s, want %s", bits, got, want)
		}
	}
}

// TestHashVector pins the hash of one event, so the encoding of
// docs/adr/0002 cannot drift; the same vector is in the ADR for anyone
// re-implementing it.
func TestHashVector(t *testing.T) {
	e := Event{Seq: 1, At: time.Date(2025, 9, 1, 7, 30, 0, 123456000, time.UTC), Actor: "alice",
		Type: "system.transitioned", IncidentID: 1, Subject: "system:ad",
		Payload: json.RawMessage(`{"to":"isolated","from":"running","system":"ad","reason":"contain"}`)}
	got, err := HashEvent(e)
	if err != nil {
		t.Fatal(err)
	}
	const want = "d5fa221383ca90164abf4b90fe0fffa8b8b3ed6c304bbdf609ae76984775a170"
	if got != want {
		t.Fatalf("hash %s, want %s", got, want)
	}
	// Key order and spacing of the payload do not matter; every field does.
	e2 := e
	e2.Payload = json.RawMessage(`{ "system":"ad", "reason":"contain", "from":"running", "to":"isolated" }`)
	if h, _ := HashEvent(e2); h != want {
		t.Fatal("hash depends on payload formatting")
	}
	for name, f := range map[string]func(*Event){
		"seq": func(e *Event) { e.Seq = 2 }, "at": func(e *Event) { e.At = e.At.Add(time.Microsecond) },
		"actor": func(e *Event) { e.Actor = "bob" }, "type": func(e *Event) { e.Type = "x" },
		"incident": func(e *Event) { e.IncidentID = 2 }, "subject": func(e *Event) { e.Subject = "system:db" },
		"payload": func(e *Event) { e.Payload = json.RawMessage(`{}`) }, "prev": func(e *Event) { e.PrevHash = "00" },
		// Moving bytes between fields must change the hash (netstrings).
		"shift": func(e *Event) { e.Actor, e.Type = "alicesystem", ".transitioned" },
	} {
		e3 := e
		f(&e3)
		if h, _ := HashEvent(e3); h == want {
			t.Errorf("changing %s does not change the hash", name)
		}
	}
}

func chain(t *testing.T, n int) []Event {
	t.Helper()
	var out []Event
	prev := ""
	at := time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		e := Event{Seq: int64(i), At: at.Add(time.Duration(i) * time.Second), Actor: "a", Type: "t",
			Payload: json.RawMessage(`{"i":` + string(rune('0'+i%10)) + `}`), PrevHash: prev}
		var err error
		if e.Hash, err = HashEvent(e); err != nil {
			t.Fatal(err)
		}
		prev = e.Hash
		out = append(out, e)
	}
	return out
}

func verify(es []Event, headSeq int64, headHash string) VerifyReport {
	var v Verifier
	for _, e := range es {
		if !v.Add(e) {
			break
		}
	}
	return v.Finish(headSeq, headHash)
}

func TestVerifierNamesTheFirstBadEvent(t *testing.T) {
	es := chain(t, 6)
	if r := verify(es, 6, es[5].Hash); !r.OK || r.Events != 6 {
		t.Fatalf("intact chain: %+v", r)
	}
	cases := []struct {
		name  string
		edit  func([]Event) []Event
		seq   int64
		check string
	}{
		{"altered", func(es []Event) []Event { es[2].Actor = "mallory"; return es }, 3, "hash"},
		{"removed", func(es []Event) []Event { return append(es[:3:3], es[4:]...) }, 5, "sequence"},
		{"reordered", func(es []Event) []Event { es[1], es[2] = es[2], es[1]; return es }, 3, "sequence"},
		{"renumbered", func(es []Event) []Event {
			es[1], es[2] = es[2], es[1]
			es[1].Seq, es[2].Seq = 2, 3
			return es
		}, 2, "prev_hash"},
		{"truncated", func(es []Event) []Event { return es[:4] }, 5, "head"},
	}
	for _, c := range cases {
		es := c.edit(chain(t, 6))
		r := verify(es, 6, chain(t, 6)[5].Hash)
		if r.OK || r.Problem.Seq != c.seq || r.Problem.Check != c.check {
			t.Errorf("%s: %+v, want seq %d check %s", c.name, r.Problem, c.seq, c.check)
		}
	}
}

func TestVerifyExportReadsExportLines(t *testing.T) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, e := range chain(t, 3) {
		enc.Encode(e)
	}
	r, err := VerifyExport(&buf)
	if err != nil || !r.OK || r.Events != 3 {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := VerifyExport(strings.NewReader("{\nnot json")); err == nil {
		t.Fatal("a broken export was accepted")
	}
}
