package sdk

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// APIError is a verified error response of the gateway:
// {"error":{"code":…,"message":…,"request_id":…}} with its HTTP status.
// Codes are stable; the API reference lists them.
type APIError struct {
	Status    int    // HTTP status
	Code      string // e.g. payment_not_found, signature_invalid
	Message   string
	RequestID string
}

// Error implements error.
func (e *APIError) Error() string {
	return fmt.Sprintf("paygate: %d %s: %s (request %s)", e.Status, e.Code, e.Message, e.RequestID)
}

// newAPIError decodes an error response; a body that is not the error shape
// still gives an APIError with the status.
func newAPIError(resp *http.Response, body []byte) *APIError {
	var wire struct {
		Error struct {
			Code      string `json:"code"`
			Message   string `json:"message"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	e := &APIError{Status: resp.StatusCode}
	if json.Unmarshal(body, &wire) == nil && wire.Error.Code != "" {
		e.Code, e.Message, e.RequestID = wire.Error.Code, wire.Error.Message, wire.Error.RequestID
	} else {
		e.Code, e.Message = "http_"+fmt.Sprint(resp.StatusCode), http.StatusText(resp.StatusCode)
	}
	if e.RequestID == "" {
		e.RequestID = resp.Header.Get(HeaderRequestID)
	}
	return e
}

// SignatureError is a response whose gateway signature did not verify
// (errors.Is(err, [ErrSignature])); its content is not to be trusted, so
// only its HTTP status is reported.
type SignatureError struct {
	Status    int    // HTTP status of the unverified response
	RequestID string // Paygate-Request-Id header, if any (unverified)
	Err       error
}

// Error implements error.
func (e *SignatureError) Error() string {
	return fmt.Sprintf("paygate sdk: unverified response (HTTP %d, request %q): %v", e.Status, e.RequestID, e.Err)
}

// Unwrap returns the verification error.
func (e *SignatureError) Unwrap() error { return e.Err }
