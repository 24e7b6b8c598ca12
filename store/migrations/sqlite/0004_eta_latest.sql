-- The plan worker compares each recomputed plan with the latest record of
-- every subject (a service, or the whole restart), not with the whole
-- history: this index finds those records without reading the rest.
CREATE INDEX eta_history_subject ON eta_history (incident_id, subject, id);
