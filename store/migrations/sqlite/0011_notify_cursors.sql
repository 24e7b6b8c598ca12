-- Where each webhook's notifications stand (docs/adr/0013): the last
-- event handled (posted, given up on, or not for that hook), and which
-- instance delivers them until when. The event log is the queue; this
-- row is the only state, so a restart goes on where delivery stopped.
-- Never in the event log: it records delivery, not a decision.
CREATE TABLE notify_cursors (
	hook        TEXT   PRIMARY KEY,
	seq         BIGINT NOT NULL,
	holder      TEXT   NOT NULL,
	lease_until TEXT   NOT NULL,
	updated_at  TEXT   NOT NULL
);
