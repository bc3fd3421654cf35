// Package api is the merchant API v1 (DESIGN §4): signed JSON over HTTPS.
// Every request is authenticated by its merchant's signature, every POST may
// carry an Idempotency-Key, every response is signed by the gateway, and
// every error is {"error":{"code","message","request_id"}} with a stable code.
//
// Handlers are thin: decode, convert, one service call, encode.
package api

import (
	"context"
	"log/slog"
	"net/http"

	"paygate/internal/db"
	"paygate/internal/payment"
)

// Authenticator checks a request's merchant signature and returns the
// merchant; its errors are *errs.Error of kind Unauthorized.
type Authenticator interface {
	Authenticate(r *http.Request, body []byte) (merchantID string, err error)
}

// Signer signs a response body with the gateway's active key, returning the
// Paygate-Timestamp, -Nonce, -Key-Id and -Signature headers.
type Signer interface {
	Sign(body []byte) (http.Header, error)
}

// Payments is what the API needs of the payment service.
type Payments interface {
	Create(ctx context.Context, p payment.CreateParams) (payment.Payment, error)
	Get(ctx context.Context, merchantID, paymentID string) (payment.Payment, error)
	FindByOrderNo(ctx context.Context, merchantID, orderNo string) (payment.Payment, error)
	List(ctx context.Context, merchantID string, f payment.ListFilter) ([]payment.Payment, string, error)
	Close(ctx context.Context, merchantID, paymentID string) (payment.Payment, error)
}

// Deps are the API's collaborators.
type Deps struct {
	Logger   *slog.Logger
	DB       *db.DB // idempotency records
	Auth     Authenticator
	Signer   Signer
	Payments Payments
	// Refunds serves the refund routes (default: Payments, if it has the
	// methods; without either the routes answer 404).
	Refunds Refunds
	// GatewayKeys lists the gateway's public keys for GET /v1/gateway-keys.
	GatewayKeys func() any
	// CashierURL returns the payer-facing URL of a payment.
	CashierURL func(paymentID string) string
}

// API serves the merchant API.
type API struct {
	d    Deps
	idem *idempotency
}

// New returns the API; mount [API.Routes] on the server's mux.
func New(d Deps) *API {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &API{d: d, idem: &idempotency{db: d.DB}}
}
