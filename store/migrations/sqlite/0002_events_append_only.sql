-- The event log is append-only: refuse UPDATE and DELETE. This stops
-- mistakes and casual tampering; deliberate tampering by someone who can
-- drop the trigger is caught by the hash chain (incident.Verifier).
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
	SELECT RAISE(ABORT, 'the event log is append-only: events cannot be changed');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
	SELECT RAISE(ABORT, 'the event log is append-only: events cannot be deleted');
END;
