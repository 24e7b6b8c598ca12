-- The run of a system's verify checks that counts for going online: made
-- while the system was verifying (docs/estate-format.md). Every run is an
-- event too; this keeps the one the guard reads.
CREATE TABLE check_runs (
	incident_id BIGINT  NOT NULL,
	system_id   TEXT    NOT NULL,
	passed      INTEGER NOT NULL,
	results     TEXT    NOT NULL,
	by_actor    TEXT    NOT NULL,
	at          TEXT    NOT NULL,
	seq         BIGINT  NOT NULL,
	PRIMARY KEY (incident_id, system_id)
);
