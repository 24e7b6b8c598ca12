package store

import (
	"context"
	"time"
)

// SkewLocalClock makes db take this machine's clock to be d away from
// the real one, and measures the database's clock against it again, as
// if the instance ran on a machine whose clock is wrong by d.
func SkewLocalClock(ctx context.Context, db *DB, d time.Duration) error {
	db.local = func() time.Time { return time.Now().Add(d) }
	return db.measureClock(ctx)
}
