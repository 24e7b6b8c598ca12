-- Lowering an incident's required approvals is itself a gate taken away:
-- one incident commander asks, another confirms (docs/adr/0007). The
-- request waits here; lower_to 0 means none.
ALTER TABLE incidents ADD COLUMN lower_to INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN lower_by TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN lower_by_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN lower_at TEXT NOT NULL DEFAULT '';
