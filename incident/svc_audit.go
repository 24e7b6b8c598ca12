package incident

import (
	"context"
	"io"
)

// Events returns events after q.After. Needs view.
func (s *Service) Events(ctx context.Context, a Actor, q EventQuery) ([]Event, error) {
	return nil, errNotYet
}

// VerifyAudit walks the hash chain. Needs audit.export.
func (s *Service) VerifyAudit(ctx context.Context, a Actor) (*VerifyReport, error) {
	return nil, errNotYet
}

// ExportAudit records an audit.exported event, then writes the whole log
// as JSON Lines to w. Needs audit.export.
func (s *Service) ExportAudit(ctx context.Context, a Actor, w io.Writer) (int64, error) {
	return 0, errNotYet
}

// VerifyStore walks the chain of a store directly (phasegate audit
// verify --db): no actor, no event.
func VerifyStore(ctx context.Context, st Store) (*VerifyReport, error) {
	return nil, errNotYet
}

// ExportStore writes every event with seq > after as JSON Lines (one
// Event per line, hashes included) and returns how many it wrote.
func ExportStore(ctx context.Context, st Store, w io.Writer, after int64) (int64, error) {
	return 0, errNotYet
}

// VerifyExport verifies a JSON Lines export (as ExportStore writes it)
// without a database, as a regulator would.
func VerifyExport(r io.Reader) (*VerifyReport, error) {
	return nil, errNotYet
}
