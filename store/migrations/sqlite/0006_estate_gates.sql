-- An estate version that takes a gate of a restart away (a system's
-- two-person rule, a clearance checklist item) waits for a second person
-- before an incident may use it (docs/adr/0007). weakens is JSON text.
ALTER TABLE estate_versions ADD COLUMN weakens TEXT NOT NULL DEFAULT '[]';
ALTER TABLE estate_versions ADD COLUMN approved_by TEXT NOT NULL DEFAULT '';
ALTER TABLE estate_versions ADD COLUMN approved_at TEXT NOT NULL DEFAULT '';
