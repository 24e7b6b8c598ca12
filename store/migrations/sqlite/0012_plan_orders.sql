-- The order of work of each incident's last recorded live plan
-- (docs/planner.md, "Following an earlier plan"): the next plan starts
-- from it, so a restarted server, or another instance on the same store,
-- does not jump to another near-equal order with nothing happening.
-- Never in the event log: the plan's dates are (ETA history).
CREATE TABLE plan_orders (
	incident_id BIGINT PRIMARY KEY,
	seq         BIGINT NOT NULL,
	activities  TEXT   NOT NULL,
	updated_at  TEXT   NOT NULL
);
