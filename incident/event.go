package incident

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Event is one entry of the append-only, hash-chained event log. It is
// written in the same transaction as the change it records.
type Event struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Type       string    `json:"type"`
	IncidentID int64     `json:"incident_id"`
	// Subject is what the event is about, e.g. "system:erp",
	// "approval:12", "user:alice", "estate:3".
	Subject string `json:"subject"`
	// Payload is canonical JSON (RFC 8785) of the event's details.
	Payload  json.RawMessage `json:"payload"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
	// Followed: another writer committed it, and this process published
	// it by following the store (svc_follow.go). Not part of the event.
	Followed bool `json:"-"`
}

// Event types.
const (
	EventEstateUploaded     = "estate.uploaded"
	EventIncidentDeclared   = "incident.declared"
	EventIncidentUpdated    = "incident.updated"
	EventIncidentEstate     = "incident.estate_moved"
	EventIncidentClosed     = "incident.closed"
	EventSystemTransitioned = "system.transitioned"
	EventBulkIsolation      = "containment.bulk"
	EventChecklistTicked    = "checklist.ticked"
	EventChecklistUnticked  = "checklist.unticked"
	EventApprovalRequested  = "approval.requested"
	EventApprovalApproved   = "approval.approved" // one approver's decision
	EventApprovalRejected   = "approval.rejected"
	EventApprovalCancelled  = "approval.cancelled"
	EventApprovalExpired    = "approval.expired"
	EventLoginSucceeded     = "auth.login_succeeded"
	EventLoginFailed        = "auth.login_failed"
	EventLockedOut          = "auth.locked_out"
	EventLogout             = "auth.logout"
	EventLogoutOthers       = "auth.logout_others" // one's other sessions ended, from one's own
	EventUserCreated        = "user.created"
	EventUserRoles          = "user.roles_changed"
	EventUserPassword       = "user.password_changed"
	EventUserDisabled       = "user.disabled"
	EventTokenCreated       = "token.created"
	EventTokenRevoked       = "token.revoked"
	EventAuditExported      = "audit.exported"
	EventAuditBackedUp      = "audit.backed_up"  // a copy of the whole database, verified, with its head
	EventBacklogMeasured    = "backlog.measured" // a count of what a backlog really holds outstanding
)

// HashVersion names the canonical encoding of docs/adr/0002; it is the
// first field hashed, so a future encoding cannot be confused with it.
const HashVersion = "phasegate-event-v1"

// TimeFormat is how event times are hashed and stored: UTC, microseconds,
// fixed width (so text order is time order).
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// FormatTime renders t in TimeFormat.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// HashEvent returns the hex SHA-256 of e's canonical encoding (see
// docs/adr/0002-event-hash-chain.md): netstrings of HashVersion, seq, at,
// actor, type, incident id, subject, canonical payload and prev hash.
// e.Hash is ignored.
func HashEvent(e Event) (string, error) {
	payload, err := CanonicalJSON(e.Payload)
	if err != nil {
		return "", fmt.Errorf("event %d: payload: %w", e.Seq, err)
	}
	h := sha256.New()
	for _, f := range [][]byte{
		[]byte(HashVersion),
		[]byte(strconv.FormatInt(e.Seq, 10)),
		[]byte(FormatTime(e.At)),
		[]byte(e.Actor),
		[]byte(e.Type),
		[]byte(strconv.FormatInt(e.IncidentID, 10)),
		[]byte(e.Subject),
		payload,
		[]byte(e.PrevHash),
	} {
		// A netstring: "<length>:<bytes>,". Length-prefixing makes the
		// encoding unambiguous whatever the fields contain.
		fmt.Fprintf(h, "%d:", len(f))
		h.Write(f)
		h.Write([]byte{','})
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// CanonicalJSON re-encodes a JSON document in the JSON Canonicalization
// Scheme (RFC 8785): no white space, object members sorted by the UTF-16
// code units of their names, strings with the minimal escapes, numbers as
// ECMAScript prints a double. Empty input is "null".
func CanonicalJSON(doc []byte) ([]byte, error) {
	if len(bytes.TrimSpace(doc)) == 0 {
		return []byte("null"), nil
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("not JSON: more than one value")
	}
	var b bytes.Buffer
	if err := writeCanonical(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeCanonical(b *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return fmt.Errorf("number %s cannot be represented as an IEEE 754 double", v)
		}
		b.WriteString(formatES(f))
	case string:
		writeCanonicalString(b, v)
	case []any:
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeCanonical(b, x); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, compareUTF16)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonicalString(b, k)
			b.WriteByte(':')
			if err := writeCanonical(b, v[k]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("unexpected JSON value %T", v)
	}
	return nil
}

func compareUTF16(a, b string) int {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	return slices.Compare(ua, ub)
}

func writeCanonicalString(b *bytes.Buffer, s string) {
	const hexdigits = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hexdigits[r>>4])
			b.WriteByte(hexdigits[r&0xF])
		default:
			// encoding/json already replaced invalid UTF-8 with U+FFFD.
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

// formatES formats a double as ECMAScript's Number.prototype.toString,
// which RFC 8785 prescribes.
func formatES(f float64) string {
	if f == 0 {
		return "0"
	}
	neg := f < 0
	if neg {
		f = -f
	}
	// Shortest round-tripping digits and the decimal exponent.
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddddde±xx
	mant, expPart, _ := bytesCut(e, 'e')
	digits := make([]byte, 0, len(mant))
	for i := 0; i < len(mant); i++ {
		if mant[i] != '.' {
			digits = append(digits, mant[i])
		}
	}
	exp, _ := strconv.Atoi(expPart)
	n := exp + 1 // position of the decimal point relative to digits
	k := len(digits)
	var out []byte
	switch {
	case k <= n && n <= 21:
		out = append(out, digits...)
		for i := 0; i < n-k; i++ {
			out = append(out, '0')
		}
	case 0 < n && n <= 21:
		out = append(out, digits[:n]...)
		out = append(out, '.')
		out = append(out, digits[n:]...)
	case -6 < n && n <= 0:
		out = append(out, '0', '.')
		for i := 0; i < -n; i++ {
			out = append(out, '0')
		}
		out = append(out, digits...)
	default:
		out = append(out, digits[0])
		if k > 1 {
			out = append(out, '.')
			out = append(out, digits[1:]...)
		}
		out = append(out, 'e')
		if n-1 >= 0 {
			out = append(out, '+')
		}
		out = strconv.AppendInt(out, int64(n-1), 10)
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

func bytesCut(s string, sep byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// MarshalPayload encodes v as canonical JSON for an event's payload.
func MarshalPayload(v any) (json.RawMessage, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return CanonicalJSON(raw)
}

// ChainProblem is the first event of the log that fails a check.
type ChainProblem struct {
	Seq int64 `json:"seq"`
	// Check is which check failed: "sequence" (an event is missing or
	// out of order), "prev_hash" (the link to the previous event is
	// broken: removed, reordered or altered), "hash" (the event's own
	// content was altered), "payload" (not valid JSON), "head" (events at
	// the end were removed).
	Check   string `json:"check"`
	Message string `json:"message"`
}

// VerifyReport is the result of walking the chain.
type VerifyReport struct {
	OK       bool          `json:"ok"`
	Events   int64         `json:"events"`
	LastSeq  int64         `json:"last_seq"`
	LastHash string        `json:"last_hash"`
	Problem  *ChainProblem `json:"problem,omitempty"`
}

// Verifier walks a chain one event at a time, in the stored order. Feed
// every event to Add, then call Finish with the chain head the store
// recorded. It stops at the first problem.
type Verifier struct {
	r        VerifyReport
	prevSeq  int64
	prevHash string
}

// Add checks the next event; it returns false once a problem is found.
func (v *Verifier) Add(e Event) bool {
	if v.r.Problem != nil {
		return false
	}
	fail := func(check, format string, args ...any) bool {
		v.r.Problem = &ChainProblem{Seq: e.Seq, Check: check, Message: fmt.Sprintf(format, args...)}
		return false
	}
	switch {
	case e.Seq == v.prevSeq+1:
	case e.Seq > v.prevSeq+1:
		return fail("sequence", "event %d follows event %d: %s missing (removed)",
			e.Seq, v.prevSeq, seqRange(v.prevSeq+1, e.Seq-1, "is", "are"))
	default:
		return fail("sequence", "event %d follows event %d: out of order (reordered or renumbered)", e.Seq, v.prevSeq)
	}
	if e.PrevHash != v.prevHash {
		return fail("prev_hash", "event %d does not link to event %d: its prev_hash %.12s… is not that event's hash %.12s… (an event before it was removed, reordered or altered)",
			e.Seq, v.prevSeq, e.PrevHash, v.prevHash)
	}
	want, err := HashEvent(e)
	if err != nil {
		return fail("payload", "event %d: %v", e.Seq, err)
	}
	if want != e.Hash {
		return fail("hash", "event %d was altered: its content hashes to %.12s…, not the recorded %.12s…", e.Seq, want, e.Hash)
	}
	v.prevSeq, v.prevHash = e.Seq, e.Hash
	v.r.Events++
	v.r.LastSeq, v.r.LastHash = e.Seq, e.Hash
	return true
}

// Finish compares the end of the chain with the head the store recorded
// (headSeq 0 when the store keeps none) and returns the report.
func (v *Verifier) Finish(headSeq int64, headHash string) VerifyReport {
	if v.r.Problem == nil && headSeq != 0 {
		switch {
		case headSeq > v.prevSeq:
			v.r.Problem = &ChainProblem{Seq: v.prevSeq + 1, Check: "head",
				Message: fmt.Sprintf("the log ends at event %d but the chain head records event %d: %s removed",
					v.prevSeq, headSeq, seqRange(v.prevSeq+1, headSeq, "was", "were"))}
		case headSeq == v.prevSeq && headHash != v.prevHash:
			v.r.Problem = &ChainProblem{Seq: headSeq, Check: "head",
				Message: fmt.Sprintf("event %d's hash differs from the chain head's record", headSeq)}
		}
	}
	v.r.OK = v.r.Problem == nil
	return v.r
}

// seqRange says which events, with the verb: "event 7 is", "events 7 to
// 9 are".
func seqRange(from, to int64, one, many string) string {
	if from == to {
		return fmt.Sprintf("event %d %s", from, one)
	}
	return fmt.Sprintf("events %d to %d %s", from, to, many)
}
