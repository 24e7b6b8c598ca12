-- Times are TEXT in UTC, microseconds, fixed width (incident.TimeFormat),
-- '' when unset: the same bytes in both dialects, and the event hash is
-- computed over exactly what is stored. Booleans are INTEGER 0/1. Ids are
-- assigned by the store inside the serialised write transaction.

CREATE TABLE chain_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  BIGINT  NOT NULL,
	hash TEXT    NOT NULL
);
INSERT INTO chain_head (id, seq, hash) VALUES (1, 0, '');

CREATE TABLE events (
	seq         BIGINT PRIMARY KEY,
	at          TEXT   NOT NULL,
	actor       TEXT   NOT NULL,
	type        TEXT   NOT NULL,
	incident_id BIGINT NOT NULL,
	subject     TEXT   NOT NULL,
	payload     TEXT   NOT NULL,
	prev_hash   TEXT   NOT NULL,
	hash        TEXT   NOT NULL
);
CREATE INDEX events_incident ON events (incident_id, seq);

CREATE TABLE estate_versions (
	number      INTEGER PRIMARY KEY,
	sha256      TEXT    NOT NULL,
	uploaded_by TEXT    NOT NULL,
	uploaded_at TEXT    NOT NULL,
	sources     TEXT    NOT NULL,
	systems     INTEGER NOT NULL,
	services    INTEGER NOT NULL,
	teams       INTEGER NOT NULL,
	document    TEXT    NOT NULL
);

CREATE TABLE incidents (
	id                 BIGINT  PRIMARY KEY,
	name               TEXT    NOT NULL,
	kind               TEXT    NOT NULL,
	started_at         TEXT    NOT NULL,
	declared_by        TEXT    NOT NULL,
	declared_at        TEXT    NOT NULL,
	estate_version     INTEGER NOT NULL REFERENCES estate_versions (number),
	total_shutdown     INTEGER NOT NULL,
	required_approvals INTEGER NOT NULL,
	closed_at          TEXT    NOT NULL,
	closed_by          TEXT    NOT NULL
);

CREATE TABLE system_states (
	incident_id     BIGINT  NOT NULL REFERENCES incidents (id),
	system_id       TEXT    NOT NULL,
	state           TEXT    NOT NULL,
	since           TEXT    NOT NULL,
	restoring_since TEXT    NOT NULL,
	compromises     INTEGER NOT NULL,
	updated_by      TEXT    NOT NULL,
	last_seq        BIGINT  NOT NULL,
	removed         INTEGER NOT NULL,
	PRIMARY KEY (incident_id, system_id)
);

CREATE TABLE checklist_entries (
	incident_id BIGINT  NOT NULL REFERENCES incidents (id),
	system_id   TEXT    NOT NULL,
	item_key    TEXT    NOT NULL,
	done        INTEGER NOT NULL,
	by_user     TEXT    NOT NULL,
	at          TEXT    NOT NULL,
	note        TEXT    NOT NULL,
	evidence    TEXT    NOT NULL,
	PRIMARY KEY (incident_id, system_id, item_key)
);

CREATE TABLE approvals (
	id              BIGINT  PRIMARY KEY,
	incident_id     BIGINT  NOT NULL REFERENCES incidents (id),
	system_id       TEXT    NOT NULL,
	from_state      TEXT    NOT NULL,
	to_state        TEXT    NOT NULL,
	reason          TEXT    NOT NULL,
	requested_by    TEXT    NOT NULL,
	requested_by_id BIGINT  NOT NULL,
	requested_at    TEXT    NOT NULL,
	expires_at      TEXT    NOT NULL,
	required        INTEGER NOT NULL,
	status          TEXT    NOT NULL,
	closed_at       TEXT    NOT NULL,
	closed_note     TEXT    NOT NULL,
	seq             BIGINT  NOT NULL
);
CREATE INDEX approvals_incident ON approvals (incident_id, status);

CREATE TABLE approval_decisions (
	approval_id BIGINT  NOT NULL REFERENCES approvals (id),
	user_id     BIGINT  NOT NULL,
	user_name   TEXT    NOT NULL,
	approve     INTEGER NOT NULL,
	note        TEXT    NOT NULL,
	at          TEXT    NOT NULL,
	PRIMARY KEY (approval_id, user_id)
);

CREATE TABLE users (
	id            BIGINT  PRIMARY KEY,
	name          TEXT    NOT NULL UNIQUE,
	password_hash TEXT    NOT NULL,
	grants        TEXT    NOT NULL,
	disabled      INTEGER NOT NULL,
	created_at    TEXT    NOT NULL,
	created_by    TEXT    NOT NULL
);

CREATE TABLE tokens (
	id           BIGINT PRIMARY KEY,
	user_id      BIGINT NOT NULL REFERENCES users (id),
	label        TEXT   NOT NULL,
	role         TEXT   NOT NULL,
	hash         TEXT   NOT NULL UNIQUE,
	created_at   TEXT   NOT NULL,
	created_by   TEXT   NOT NULL,
	last_used_at TEXT   NOT NULL,
	revoked_at   TEXT   NOT NULL,
	expires_at   TEXT   NOT NULL
);

CREATE TABLE sessions (
	hash         TEXT   PRIMARY KEY,
	user_id      BIGINT NOT NULL REFERENCES users (id),
	created_at   TEXT   NOT NULL,
	last_seen_at TEXT   NOT NULL,
	expires_at   TEXT   NOT NULL,
	address      TEXT   NOT NULL
);

CREATE TABLE login_throttle (
	key          TEXT    PRIMARY KEY,
	failures     INTEGER NOT NULL,
	last_failure TEXT    NOT NULL,
	locked_until TEXT    NOT NULL
);

CREATE TABLE eta_history (
	id          BIGINT PRIMARY KEY,
	incident_id BIGINT NOT NULL REFERENCES incidents (id),
	seq         BIGINT NOT NULL,
	at          TEXT   NOT NULL,
	subject     TEXT   NOT NULL,
	eta         TEXT   NOT NULL,
	previous    TEXT   NOT NULL,
	detail      TEXT   NOT NULL
);
CREATE INDEX eta_history_incident ON eta_history (incident_id, id);
