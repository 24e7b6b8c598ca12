// Package phasegate holds what every part of phasegate shares: the error
// type with its codes. The domain lives in estate, planner, forecast and
// incident; adapters (store, server) and the command wire around them.
package phasegate

import (
	"errors"
	"fmt"
)

// Error codes. One place (the server's error writer and the command's exit
// path) maps them to HTTP statuses and exit codes.
const (
	EINVALID      = "invalid"      // bad input from the user: 400 / 422
	ENOTFOUND     = "not_found"    // 404
	ECONFLICT     = "conflict"     // a guard refused, or the state moved on: 409
	EUNAUTHORIZED = "unauthorized" // not logged in: 401
	EFORBIDDEN    = "forbidden"    // logged in, but the role may not: 403
	ETOOMANY      = "too_many"     // throttled or locked out: 429
	EUNAVAILABLE  = "unavailable"  // cannot be done now, nothing changed; ask again: 503
	EINTERNAL     = "internal"     // a bug or an outage: 500
)

// Error is an error meant for a person: a machine code, a sentence, and —
// for refusals — every reason. Errors of other types are internal: the user
// sees "Internal error." and the log gets the detail.
type Error struct {
	Code    string
	Message string
	// Reasons lists every reason a guard refused, one sentence each.
	Reasons []string
	// Details carries structured detail for the client (e.g. estate
	// problems with file, line and column).
	Details any
}

func (e *Error) Error() string {
	if len(e.Reasons) == 0 {
		return e.Message
	}
	s := e.Message
	for _, r := range e.Reasons {
		s += "\n  - " + r
	}
	return s
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, EINTERNAL for errors that are not
// an *Error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the sentence to show a person: the message of an
// *Error, or "Internal error." for anything else.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
