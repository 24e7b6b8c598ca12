-- Account changes that give power wait for a second admin once two admins
-- exist (docs/adr/0007). The change itself is JSON text; secret holds a
-- password hash to set, never shown.
CREATE TABLE account_requests (
	id              BIGINT  PRIMARY KEY,
	kind            TEXT    NOT NULL,
	user_id         BIGINT  NOT NULL,
	user_name       TEXT    NOT NULL,
	change          TEXT    NOT NULL,
	secret          TEXT    NOT NULL,
	summary         TEXT    NOT NULL,
	reason          TEXT    NOT NULL,
	requested_by    TEXT    NOT NULL,
	requested_by_id BIGINT  NOT NULL,
	requested_at    TEXT    NOT NULL,
	expires_at      TEXT    NOT NULL,
	status          TEXT    NOT NULL,
	decided_by      TEXT    NOT NULL,
	decided_by_id   BIGINT  NOT NULL,
	decided_at      TEXT    NOT NULL,
	note            TEXT    NOT NULL,
	seq             BIGINT  NOT NULL
);
CREATE INDEX account_requests_status ON account_requests (status, id);

-- Store-wide switches that, once set, stay set (e.g. dual control of
-- accounts once two admins exist).
CREATE TABLE flags (
	name   TEXT PRIMARY KEY,
	set_by TEXT NOT NULL,
	set_at TEXT NOT NULL
);
