-- Keys the instances sharing this store use alike, e.g. to seal the
-- one-time code an accounts page shows once into a cookie that any
-- instance can open (docs/adr/0008). Made on first use; never in the
-- event log.
CREATE TABLE server_keys (
	name       TEXT PRIMARY KEY,
	key_hex    TEXT NOT NULL,
	created_at TEXT NOT NULL
);
