// Package errs holds the one application error type of paygate: a [Kind] that
// decides the HTTP status class, a stable lower_snake [Error.Code] that clients
// may rely on, a message that is safe to show, and an optional cause that only
// ever goes to the logs.
//
// Codes are append-only: once published, a code is never renamed or reused.
package errs

import (
	"errors"
	"fmt"
	"net/http"
)

// Kind classifies an [Error]; it maps to one HTTP status in [Kind.HTTPStatus].
type Kind uint8

// The kinds of application error. New kinds are appended, never reordered.
const (
	Internal      Kind = iota // a bug or an unexpected failure (500)
	Invalid                   // bad input (400)
	Unauthorized              // missing or bad credentials (401)
	Forbidden                 // authenticated, but not allowed (403)
	NotFound                  // no such object, or not the caller's (404)
	Conflict                  // the state forbids it, e.g. a duplicate (409)
	Unprocessable             // well-formed but semantically refused (422)
	Unavailable               // a dependency is down; retry later (503)
)

var kindStatus = [...]int{
	Internal:      http.StatusInternalServerError,
	Invalid:       http.StatusBadRequest,
	Unauthorized:  http.StatusUnauthorized,
	Forbidden:     http.StatusForbidden,
	NotFound:      http.StatusNotFound,
	Conflict:      http.StatusConflict,
	Unprocessable: http.StatusUnprocessableEntity,
	Unavailable:   http.StatusServiceUnavailable,
}

var kindNames = [...]string{
	Internal:      "internal",
	Invalid:       "invalid",
	Unauthorized:  "unauthorized",
	Forbidden:     "forbidden",
	NotFound:      "not_found",
	Conflict:      "conflict",
	Unprocessable: "unprocessable",
	Unavailable:   "unavailable",
}

// HTTPStatus is the one table from kinds to HTTP statuses.
func (k Kind) HTTPStatus() int {
	if int(k) < len(kindStatus) {
		return kindStatus[k]
	}
	return http.StatusInternalServerError
}

// String returns the kind's lower_snake name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Error is paygate's application error.
type Error struct {
	Kind    Kind   // decides the HTTP status
	Code    string // stable, lower_snake, safe to show
	Message string // human-readable, safe to show
	Err     error  // cause; for logs only, never shown to clients
}

// E returns a new [Error] with no cause.
func E(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// Wrap returns a new [Error] that carries cause for the logs.
func Wrap(kind Kind, code, message string, cause error) *Error {
	return &Error{Kind: kind, Code: code, Message: message, Err: cause}
}

// Error implements error; it includes the cause, so it is for logs.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code, so that
// sentinel errors compare by code through wrapping.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// As returns the first *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// KindOf returns the kind of the first *Error in err's chain, or [Internal].
func KindOf(err error) Kind {
	if e := As(err); e != nil {
		return e.Kind
	}
	return Internal
}

// CodeOf returns the code of the first *Error in err's chain, or "internal".
func CodeOf(err error) string {
	if e := As(err); e != nil {
		return e.Code
	}
	return "internal"
}
