package server

import (
	"net/http"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// Measured backlog readings: what a backlog really holds outstanding,
// counted during the recovery (incident.Service.RecordBacklogReading).

// readingRequest is the body of a reading: incident.NewBacklogReading
// with remaining required.
type readingRequest struct {
	Backlog     string    `json:"backlog"`
	Remaining   *float64  `json:"remaining"`
	At          time.Time `json:"at"`
	ServiceBack *bool     `json:"service_back"`
	Note        string    `json:"note"`
}

// errNoRemaining refuses a reading without its count: left out, it would
// record the backlog as cleared.
var errNoRemaining = invalidRequest(http.StatusBadRequest,
	"give \"remaining\": how many units the backlog holds outstanding (0 when it is cleared)")

type readingsResponse struct {
	Readings []incident.BacklogReading `json:"readings"`
}

func (s *Server) handleRecordReading(w http.ResponseWriter, r *http.Request) {
	id, req, ok := idAndBody[readingRequest](s, w, r, "incident id")
	if !ok {
		return
	}
	if req.Remaining == nil {
		s.writeError(w, r, errNoRemaining)
		return
	}
	rd, err := s.svc.RecordBacklogReading(r.Context(), actorFrom(r.Context()), id, incident.NewBacklogReading{
		Backlog: req.Backlog, Remaining: *req.Remaining, At: req.At, ServiceBack: req.ServiceBack, Note: req.Note})
	reply(s, w, r, http.StatusCreated, rd, err)
}

func (s *Server) handleReadings(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, "incident id")
	if !ok {
		return
	}
	rs, err := s.svc.BacklogReadings(r.Context(), actorFrom(r.Context()), id)
	reply(s, w, r, http.StatusOK, readingsResponse{Readings: nonNil(rs)}, err)
}
