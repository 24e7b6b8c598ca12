-- Measured backlog readings (docs/forecast.md, "Backlogs"): how much of a
-- backlog of the estate was really outstanding at a time, counted by
-- people during the recovery, so the backlog forecast starts from what
-- is measured. Each is a backlog.measured event too; this keeps them to
-- read by incident, oldest first, without scanning the log. remaining is
-- a count of the backlog's units, a double as the estate's rates are.
CREATE TABLE backlog_readings (
	id           BIGINT           PRIMARY KEY,
	incident_id  BIGINT           NOT NULL REFERENCES incidents (id),
	backlog      TEXT             NOT NULL,
	at           TEXT             NOT NULL,
	remaining    DOUBLE PRECISION NOT NULL,
	service_back INTEGER          NOT NULL,
	note         TEXT             NOT NULL,
	recorded_by  TEXT             NOT NULL,
	recorded_at  TEXT             NOT NULL,
	seq          BIGINT           NOT NULL
);
CREATE INDEX backlog_readings_incident ON backlog_readings (incident_id, at, id);
