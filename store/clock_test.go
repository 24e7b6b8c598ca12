package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/internal/pgtest"
	"github.com/phasegate/phasegate/store"
)

// TestPostgresKeepsTheDatabasesTime: instances on one PostgreSQL
// database whose machines' clocks are an hour wrong either way stamp the
// log with the database's time, in the log's order, and agree on it
// between writes; a session opened through the instance whose clock is
// behind is not taken for idle by the other.
func TestPostgresKeepsTheDatabasesTime(t *testing.T) {
	ctx := context.Background()
	dsn, _ := pgtest.Schema(t, "dbclock")
	open := func(skew time.Duration) *store.DB {
		t.Helper()
		db, err := store.OpenPostgres(ctx, dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := store.SkewLocalClock(ctx, db, skew); err != nil {
			t.Fatal(err)
		}
		return db
	}
	ahead, behind := open(time.Hour), open(-3*time.Hour)
	const slack = 2 * time.Second
	near := func(what string, got, want time.Time) {
		t.Helper()
		if d := got.Sub(want); d < -slack || d > slack {
			t.Errorf("%s = %s, %s from the real time %s", what, got.Format(time.RFC3339Nano), d, want.Format(time.RFC3339Nano))
		}
	}
	for name, c := range map[string]struct {
		db   *store.DB
		skew time.Duration
	}{"ahead": {ahead, time.Hour}, "behind": {behind, -3 * time.Hour}} {
		if off := c.db.ClockOffset(); (off + c.skew).Abs() > slack {
			t.Errorf("%s: offset %s, want about %s", name, off, -c.skew)
		}
		near(name+": the store's clock", c.db.Clock()(), time.Now())
	}

	began := time.Now()
	var wg sync.WaitGroup
	for _, db := range []*store.DB{ahead, behind, ahead, behind} {
		wg.Go(func() {
			for range 25 {
				if err := db.Update(ctx, func(tx incident.Tx) error {
					_, err := tx.AppendEvent(incident.Event{Type: "test.written", Actor: "test"})
					return err
				}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	ended := time.Now()
	var last incident.Event
	n := 0
	if err := ahead.View(ctx, func(tx incident.Tx) error {
		return tx.ScanEvents(0, func(e incident.Event) error {
			n++
			if e.At.Before(last.At) {
				return fmt.Errorf("event %d stamped %s, before event %d (%s): the log's times go back", e.Seq, e.At, last.Seq, last.At)
			}
			if e.At.Before(began.Add(-slack)) || e.At.After(ended.Add(slack)) {
				return fmt.Errorf("event %d stamped %s, outside the real time of the writes (%s to %s)", e.Seq, e.At, began, ended)
			}
			last = e
			return nil
		})
	}); err != nil {
		t.Error(err)
	} else if n != 100 {
		t.Fatalf("%d events, want 100", n)
	}

	// A session opened through the instance that is 3 h behind, read
	// through the other with a 2 h idle limit: on each machine's own
	// clock it would have been idle for 3 h already.
	settings := incident.Settings{Password: fastPasswords, SessionIdle: 2 * time.Hour}
	svcBehind := incident.New(incident.Config{Store: behind, Clock: behind.Clock(), Settings: settings})
	svcAhead := incident.New(incident.Config{Store: ahead, Clock: ahead.Clock(), Settings: settings})
	name, pw, err := svcBehind.Bootstrap(ctx)
	if err != nil || pw == "" {
		t.Fatalf("bootstrap: %q %v", pw, err)
	}
	res, err := svcBehind.Login(ctx, name, pw, incident.Client{Address: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	near("the session's start", res.Session.CreatedAt, time.Now())
	if a, err := svcAhead.SessionActor(ctx, res.SessionSecret, "127.0.0.1"); err != nil || a.Name != name {
		t.Errorf("the session through the other instance: %+v, %v; want %s's session", a, err, name)
	}
}
