package server

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/incident"
)

// ErrorResponse is the JSON body of every error: a machine code, a
// sentence, and — for refusals — every reason; for an invalid estate every
// problem with file, line and column.
type ErrorResponse struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Reasons []string `json:"reasons,omitempty"`
	// Errors lists the problems of an invalid estate.
	Errors []estate.Problem `json:"errors,omitempty"`
	// RetryAfter is how many seconds to wait before trying again (429).
	RetryAfter int `json:"retry_after,omitempty"`
	// Locked: the account or address is locked out, not merely slowed.
	Locked bool `json:"locked,omitempty"`
}

// errorStatus is the one mapping from error codes to HTTP statuses.
// EINVALID is 422 for input the request carried in a well-formed body
// (the service judged it) and 400 for a request the server could not even
// read; decode errors are marked with errBadRequest.
func errorStatus(err error) int {
	switch phasegate.ErrorCode(err) {
	case phasegate.EINVALID:
		var br *badRequest
		if errors.As(err, &br) {
			return br.status
		}
		return http.StatusUnprocessableEntity
	case phasegate.ENOTFOUND:
		return http.StatusNotFound
	case phasegate.ECONFLICT:
		return http.StatusConflict
	case phasegate.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case phasegate.EFORBIDDEN:
		return http.StatusForbidden
	case phasegate.ETOOMANY:
		return http.StatusTooManyRequests
	case phasegate.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// badRequest is a request the server could not read (malformed JSON, an
// unknown field, a body too large): EINVALID with status 400 or 413.
type badRequest struct {
	status int
	err    *phasegate.Error
}

func (b *badRequest) Error() string { return b.err.Error() }
func (b *badRequest) Unwrap() error { return b.err }

func invalidRequest(status int, format string, args ...any) error {
	return &badRequest{status: status, err: phasegate.Errorf(phasegate.EINVALID, format, args...)}
}

// errorBody renders err for the client. Anything that is not a
// *phasegate.Error (or an EINTERNAL one) becomes "Internal error.": the
// detail goes to the log only.
func errorBody(err error) ErrorResponse {
	code := phasegate.ErrorCode(err)
	if code == phasegate.EINTERNAL {
		return ErrorResponse{Code: phasegate.EINTERNAL, Message: "Internal error."}
	}
	var e *phasegate.Error
	errors.As(err, &e)
	body := ErrorResponse{Code: e.Code, Message: e.Message, Reasons: e.Reasons}
	switch d := e.Details.(type) {
	case estate.Problems:
		body.Errors = d
	case []estate.Problem:
		body.Errors = d
	case incident.RetryAfter:
		body.RetryAfter, body.Locked = d.Seconds, d.Locked
	case *incident.RetryAfter:
		if d != nil {
			body.RetryAfter, body.Locked = d.Seconds, d.Locked
		}
	}
	return body
}

// writeError sends err as JSON with the status of its code. Internal
// errors are logged with the request; the client learns nothing of them.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := errorStatus(err)
	body := errorBody(err)
	if status == http.StatusInternalServerError {
		s.log.LogAttrs(r.Context(), slog.LevelError, "internal error",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("error", err.Error()))
	}
	if info := requestInfoFrom(r.Context()); info != nil {
		info.errCode = body.Code
	}
	if status == http.StatusTooManyRequests && body.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(body.RetryAfter))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="phasegate"`)
	}
	writeJSON(w, status, body)
}
