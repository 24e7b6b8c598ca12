-- The event log is append-only: refuse UPDATE and DELETE. This stops
-- mistakes and casual tampering; deliberate tampering by someone who can
-- drop the trigger is caught by the hash chain (incident.Verifier).
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'the event log is append-only: events cannot be changed or deleted';
END;
$$;
CREATE TRIGGER events_no_change BEFORE UPDATE OR DELETE ON events
	FOR EACH ROW EXECUTE FUNCTION events_append_only();
