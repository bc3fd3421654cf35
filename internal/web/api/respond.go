package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"paygate/internal/errs"
	"paygate/internal/web"
)

// maxBody bounds request bodies.
const maxBody = 64 << 10

// Request errors.
var (
	errBadJSON     = errs.E(errs.Invalid, "invalid_request", "The request body is not valid JSON for this endpoint.")
	errTooLarge    = errs.E(errs.Invalid, "request_too_large", "The request body is larger than 64 KiB.")
	errNotFound    = errs.E(errs.NotFound, "not_found", "No such endpoint.")
	errIdemInUse   = errs.E(errs.Conflict, "idempotency_in_flight", "A request with this Idempotency-Key is still being processed.")
	errIdemReused  = errs.E(errs.Unprocessable, "idempotency_key_reused", "This Idempotency-Key was used with a different request.")
	errIdemInvalid = errs.E(errs.Invalid, "idempotency_key_invalid", "The Idempotency-Key must be 1–255 printable characters.")
)

// handlerFunc is an API handler: it returns the status and the object to
// encode, or an error to render.
type handlerFunc func(r *http.Request, merchantID string, body []byte) (int, any, error)

// authed reads the body, authenticates the merchant, applies idempotency to
// POSTs and writes the signed response.
func (a *API) authed(h handlerFunc, idempotent bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			a.fail(w, r, errTooLarge)
			return
		}
		merchantID, err := a.d.Auth.Authenticate(r, body)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		key := r.Header.Get("Idempotency-Key")
		if !idempotent || key == "" {
			status, v, err := h(r, merchantID, body)
			if err != nil {
				a.fail(w, r, err)
				return
			}
			a.write(w, r, status, v)
			return
		}
		a.withIdempotency(w, r, merchantID, key, body, h)
	})
}

// write encodes v, signs it and sends it.
func (a *API) write(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		a.fail(w, r, fmt.Errorf("encode response: %w", err))
		return
	}
	a.writeRaw(w, r, status, b)
}

func (a *API) writeRaw(w http.ResponseWriter, r *http.Request, status int, b []byte) {
	h, err := a.d.Signer.Sign(b)
	if err != nil {
		a.d.Logger.ErrorContext(r.Context(), "signing a response", "request_id", web.RequestID(r.Context()), "err", err)
		http.Error(w, `{"error":{"code":"internal","message":"Internal error."}}`, http.StatusInternalServerError)
		return
	}
	for k, vs := range h {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}

// errorBody is the one error shape of the API.
type errorBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

// render turns err into a status and body: an *errs.Error shows its code
// and message; anything else is a 500 whose cause goes only to the log.
func (a *API) render(r *http.Request, err error) (int, errorBody) {
	var body errorBody
	body.Error.RequestID = web.RequestID(r.Context())
	e := errs.As(err)
	if e == nil {
		a.d.Logger.ErrorContext(r.Context(), "internal error", "request_id", body.Error.RequestID, "err", err)
		body.Error.Code, body.Error.Message = "internal", "Internal error; the request id identifies it in our logs."
		return http.StatusInternalServerError, body
	}
	body.Error.Code, body.Error.Message = e.Code, e.Message
	if detail := detailOf(err, e); detail != "" {
		body.Error.Message += " " + detail
	}
	return e.Kind.HTTPStatus(), body
}

// detailOf returns the text a validation error adds after its sentinel
// ("payment_invalid: …: amount must be positive"), which is safe to show.
func detailOf(err error, e *errs.Error) string {
	if (e.Kind != errs.Invalid && e.Kind != errs.Unprocessable) || err == error(e) {
		return ""
	}
	msg, prefix := err.Error(), e.Error()+": "
	if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
		return msg[len(prefix):]
	}
	return ""
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, body := a.render(r, err)
	a.write(w, r, status, body)
}
