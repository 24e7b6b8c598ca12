-- Status updates: drafted, approved by a second person, published to the
-- public status pages of their audiences. Lists (audiences, services,
-- contributors) are JSON text, read whole; the public pages filter by
-- audience in memory from a cache, never per request.
CREATE TABLE status_updates (
	id              BIGINT  PRIMARY KEY,
	incident_id     BIGINT  NOT NULL REFERENCES incidents (id),
	status          TEXT    NOT NULL,
	revision        INTEGER NOT NULL,
	audiences       TEXT    NOT NULL,
	title           TEXT    NOT NULL,
	body            TEXT    NOT NULL,
	services        TEXT    NOT NULL,
	corrects        BIGINT  NOT NULL,
	superseded_by   BIGINT  NOT NULL,
	author          TEXT    NOT NULL,
	author_id       BIGINT  NOT NULL,
	contributors    TEXT    NOT NULL,
	created_at      TEXT    NOT NULL,
	updated_at      TEXT    NOT NULL,
	approved_by     TEXT    NOT NULL,
	approved_by_id  BIGINT  NOT NULL,
	approved_at     TEXT    NOT NULL,
	approval_note   TEXT    NOT NULL,
	published_by    TEXT    NOT NULL,
	published_at    TEXT    NOT NULL,
	closed_by       TEXT    NOT NULL,
	closed_at       TEXT    NOT NULL,
	closed_note     TEXT    NOT NULL,
	seq             BIGINT  NOT NULL
);
CREATE INDEX status_updates_incident ON status_updates (incident_id, status, id);
