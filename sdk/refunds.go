package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Refund states.
const (
	RefundPending    = "pending"    // recorded; the gateway will try it (again) shortly
	RefundProcessing = "processing" // a try is in flight at the bank
	RefundSucceeded  = "succeeded"  // the money is back on the card or account
	RefundFailed     = "failed"     // final; see FailureCode and FailureMessage
)

// Refund is a refund as the API returns it. Amount is an integer in minor
// units of Currency (the payment's).
type Refund struct {
	ID               string     `json:"id"` // rf_…
	PaymentID        string     `json:"payment_id"`
	MerchantOrderNo  string     `json:"merchant_order_no"`
	MerchantRefundNo string     `json:"merchant_refund_no"`
	Amount           int64      `json:"amount"`
	Currency         string     `json:"currency"`
	Reason           string     `json:"reason"`
	Method           string     `json:"method"` // where it goes back to: bankcard or account
	Status           string     `json:"status"`
	FailureCode      string     `json:"failure_code,omitempty"` // bank_declined, card_unavailable, retries_exhausted, …
	FailureMessage   string     `json:"failure_message,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
	SucceededAt      *time.Time `json:"succeeded_at,omitempty"`
}

// CreateRefundParams are the fields of POST /v1/refunds. Name the payment
// by PaymentID or by MerchantOrderNo.
type CreateRefundParams struct {
	PaymentID       string `json:"payment_id,omitempty"`
	MerchantOrderNo string `json:"merchant_order_no,omitempty"`
	// MerchantRefundNo identifies the refund among the payment's: sending
	// it again with the same amount returns the same refund (never a
	// second one). Empty: the gateway uses the refund's id.
	MerchantRefundNo string `json:"merchant_refund_no,omitempty"`
	Amount           int64  `json:"amount"` // minor units of the payment's currency
	Reason           string `json:"reason,omitempty"`
}

// CreateRefund asks for a refund of part or all of a succeeded payment,
// back to the card or account it was paid from, within 90 days of payment.
// The gateway makes a first try before it answers: the refund comes back
// succeeded, failed, or pending/processing (the outcome then arrives as a
// refund.succeeded or refund.failed notification, or by [Client.GetRefund]).
// The call carries an Idempotency-Key (random unless given with
// [IdempotencyKey]).
func (c *Client) CreateRefund(ctx context.Context, p CreateRefundParams, opts ...CallOption) (*Refund, error) {
	if p.PaymentID == "" && p.MerchantOrderNo == "" {
		return nil, errors.New("paygate sdk: a refund needs PaymentID or MerchantOrderNo")
	}
	var out Refund
	if err := c.do(ctx, http.MethodPost, "/v1/refunds", nil, p, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetRefund returns the refund with the given id (rf_…).
func (c *Client) GetRefund(ctx context.Context, id string) (*Refund, error) {
	if id == "" {
		return nil, errors.New("paygate sdk: empty refund id")
	}
	var out Refund
	if err := c.do(ctx, http.MethodGet, "/v1/refunds/"+url.PathEscape(id), nil, nil, &out, nil); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListRefunds returns a payment's refunds, oldest first
// (GET /v1/payments/{id}/refunds).
func (c *Client) ListRefunds(ctx context.Context, paymentID string) ([]Refund, error) {
	if paymentID == "" {
		return nil, errors.New("paygate sdk: empty payment id")
	}
	var out struct {
		Data []Refund `json:"data"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/payments/"+url.PathEscape(paymentID)+"/refunds", nil, nil, &out, nil); err != nil {
		return nil, err
	}
	if out.Data == nil {
		out.Data = []Refund{}
	}
	return out.Data, nil
}

// Refund decodes the event's data as a refund (events refund.succeeded and
// refund.failed).
func (e Event) Refund() (*Refund, error) {
	var r Refund
	if err := json.Unmarshal(e.Data, &r); err != nil {
		return nil, fmt.Errorf("paygate sdk: event %s: decode refund: %w", e.ID, err)
	}
	return &r, nil
}
