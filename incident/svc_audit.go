package incident

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/phasegate/phasegate"
)

// Events returns up to q.Limit (0: 1000) events after q.After that the
// actor may see (Actor.MaySee): events it may not see are skipped, not
// counted, so a page is short only at the end of the log. Needs view.
// With q.IncidentID, an incident that does not exist is ENOTFOUND.
func (s *Service) Events(ctx context.Context, a Actor, q EventQuery) ([]Event, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	var out []Event
	err := s.view(ctx, func(tx Tx) error {
		if q.IncidentID != 0 {
			// An incident that does not exist is not one without events.
			if _, err := tx.Incident(q.IncidentID); err != nil {
				return err
			}
		}
		out = out[:0]
		cur := q
		cur.Limit = limit
		for {
			evs, err := tx.Events(cur)
			if err != nil {
				return err
			}
			for _, e := range evs {
				if !a.MaySee(e) {
					continue
				}
				out = append(out, e)
				if len(out) == limit {
					return nil
				}
			}
			if len(evs) < limit {
				return nil
			}
			cur.After = evs[len(evs)-1].Seq
		}
	})
	if out == nil {
		out = []Event{}
	}
	return out, err
}

// ChainHead returns the seq and hash of the last event of the log (0, ""
// when it is empty). It needs no actor: the health check and the start of
// an event stream use it, and it says nothing but how long the log is.
func (s *Service) ChainHead(ctx context.Context) (seq int64, hash string, err error) {
	err = s.view(ctx, func(tx Tx) error {
		seq, hash, err = tx.ChainHead()
		return err
	})
	return seq, hash, err
}

// VerifyAudit walks the hash chain. Needs audit.export.
func (s *Service) VerifyAudit(ctx context.Context, a Actor) (*VerifyReport, error) {
	if err := a.Authorize(ActionAuditExport, nil); err != nil {
		return nil, err
	}
	return VerifyStore(ctx, s.store)
}

// ExportAudit records an audit.exported event, then writes the log
// after event after (0: the whole log, including that event) as JSON
// Lines to w. Needs audit.export.
func (s *Service) ExportAudit(ctx context.Context, a Actor, w io.Writer, after int64) (int64, error) {
	if err := a.Authorize(ActionAuditExport, nil); err != nil {
		return 0, err
	}
	if after < 0 {
		return 0, phasegate.Errorf(phasegate.EINVALID, "after %d: give an event number, 0 or more, to export the events after it", after)
	}
	if err := s.update(ctx, func(wr *writer) error {
		seq, hash, err := wr.ChainHead()
		if err != nil {
			return err
		}
		data := map[string]any{"through_seq": seq + 1, "head_before": hash}
		if after > 0 {
			data["after_seq"] = after
		}
		_, err = wr.event(a.Name, EventAuditExported, 0, "audit", data)
		return err
	}); err != nil {
		return 0, err
	}
	return ExportStore(ctx, s.store, w, after)
}

// Backup is a copy of the whole store made while it was in use (a file
// of an SQLite store), checked before it is recorded: its chain verified
// to its head.
type Backup struct {
	// File names the copy as the operator knows it (its base name).
	File string `json:"file"`
	// Events is how many the copy holds; Seq and Hash are its last.
	Events int64  `json:"events"`
	Seq    int64  `json:"through_seq"`
	Hash   string `json:"head"`
	Bytes  int64  `json:"bytes"`
}

// VerifyBackup walks a copy's chain: a copy that does not verify is not
// a backup of an intact log (if the copy is broken, so is the store it
// was made from, or the copy was changed on its way to disk).
func VerifyBackup(ctx context.Context, copy Store, file string, bytes int64) (*Backup, error) {
	rep, err := VerifyStore(ctx, copy)
	if err != nil {
		return nil, err
	}
	if !rep.OK {
		return nil, phasegate.Errorf(phasegate.ECONFLICT, "the copy %s does not verify: %s (event %d); keep it and the database as evidence, and run phasegate audit verify --db on the database",
			file, rep.Problem.Message, rep.Problem.Seq)
	}
	return &Backup{File: file, Events: rep.Events, Seq: rep.LastSeq, Hash: rep.LastHash, Bytes: bytes}, nil
}

// RecordBackup records in the live log that a verified copy was made
// (audit.backed_up, with the copy's head): the log itself then vouches for
// the copy, and a later copy that differs up to that event is caught.
// Needs audit.export, as taking the record away does.
func (s *Service) RecordBackup(ctx context.Context, a Actor, b Backup) (Event, error) {
	if err := a.Authorize(ActionAuditExport, nil); err != nil {
		return Event{}, err
	}
	var ev Event
	err := s.update(ctx, func(w *writer) error {
		var err error
		ev, err = w.event(a.Name, EventAuditBackedUp, 0, "audit", map[string]any{
			"file": b.File, "events": b.Events, "through_seq": b.Seq, "head": b.Hash, "bytes": b.Bytes})
		return err
	})
	return ev, err
}

// VerifyStore walks the chain of a store directly (phasegate audit
// verify --db): no actor, no event. It reads one consistent snapshot.
func VerifyStore(ctx context.Context, st Store) (*VerifyReport, error) {
	var rep VerifyReport
	err := st.View(ctx, func(tx Tx) error {
		var v Verifier
		if err := tx.ScanEvents(0, func(e Event) error {
			if !v.Add(e) {
				return errStop
			}
			return nil
		}); err != nil && err != errStop {
			return err
		}
		seq, hash, err := tx.ChainHead()
		if err != nil {
			return err
		}
		rep = v.Finish(seq, hash)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &rep, nil
}

// ExportStore writes every event with seq > after as JSON Lines (one
// Event per line, hashes included) and returns how many it wrote.
func ExportStore(ctx context.Context, st Store, w io.Writer, after int64) (int64, error) {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	var n int64
	err := st.View(ctx, func(tx Tx) error {
		return tx.ScanEvents(after, func(e Event) error {
			n++
			return enc.Encode(e)
		})
	})
	if err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// MaxExportLine bounds one line of an export read by VerifyExport.
const MaxExportLine = 16 << 20

// VerifyExport verifies a JSON Lines export (as ExportStore writes it,
// from seq 1) without a database, as a regulator would.
func VerifyExport(r io.Reader) (*VerifyReport, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxExportLine)
	var v Verifier
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("line %d: not an event: %v", line, err)
		}
		if !v.Add(e) {
			break
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %v", line+1, err)
	}
	rep := v.Finish(0, "")
	return &rep, nil
}
