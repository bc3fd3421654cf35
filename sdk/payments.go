package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Payment states.
const (
	StatusCreated    = "created"    // waiting for the payer (again, after a declined attempt)
	StatusProcessing = "processing" // an attempt is in flight
	StatusSucceeded  = "succeeded"  // paid; may later carry refunded_amount
	StatusClosed     = "closed"     // closed by the merchant or expired unpaid
)

// Payment is a payment as the API returns it. Amounts are integers in minor
// units of Currency (fen for CNY).
type Payment struct {
	ID              string     `json:"id"` // pay_…
	MerchantOrderNo string     `json:"merchant_order_no"`
	Amount          int64      `json:"amount"`
	Currency        string     `json:"currency"`
	Subject         string     `json:"subject"`
	Status          string     `json:"status"`
	RefundedAmount  int64      `json:"refunded_amount"`
	Method          string     `json:"method,omitempty"` // how it was paid, once paid
	AllowedMethods  []string   `json:"allowed_methods,omitempty"`
	PayerEmail      string     `json:"payer_email,omitempty"`
	CashierURL      string     `json:"cashier_url"`
	ReturnURL       string     `json:"return_url,omitempty"`
	NotifyURL       string     `json:"notify_url,omitempty"`
	ExpiresAt       time.Time  `json:"expires_at"`
	PaidAt          *time.Time `json:"paid_at,omitempty"`
	ClosedAt        *time.Time `json:"closed_at,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
}

// CreatePaymentParams are the fields of POST /v1/payments.
type CreatePaymentParams struct {
	MerchantOrderNo string   `json:"merchant_order_no"` // unique per merchant
	Amount          int64    `json:"amount"`            // minor units
	Currency        string   `json:"currency"`          // ISO 4217, e.g. CNY
	Subject         string   `json:"subject"`
	NotifyURL       string   `json:"notify_url,omitempty"`
	ReturnURL       string   `json:"return_url,omitempty"`
	ExpiresIn       int64    `json:"expires_in,omitempty"`      // seconds; 0 = the gateway's default
	AllowedMethods  []string `json:"allowed_methods,omitempty"` // empty = all the merchant may use
	PayerEmail      string   `json:"payer_email,omitempty"`
}

// CreatePayment creates a payment and returns it with its cashier_url, to
// which the merchant sends the payer. The call carries an Idempotency-Key
// (random unless given with [IdempotencyKey]).
func (c *Client) CreatePayment(ctx context.Context, p CreatePaymentParams, opts ...CallOption) (*Payment, error) {
	var out Payment
	if err := c.do(ctx, http.MethodPost, "/v1/payments", nil, p, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetPayment returns the payment with the given id (pay_…).
func (c *Client) GetPayment(ctx context.Context, id string) (*Payment, error) {
	if id == "" {
		return nil, errors.New("paygate sdk: empty payment id")
	}
	var out Payment
	if err := c.do(ctx, http.MethodGet, "/v1/payments/"+url.PathEscape(id), nil, nil, &out, nil); err != nil {
		return nil, err
	}
	return &out, nil
}

// FindPayment returns the merchant's payment for merchantOrderNo, via
// GET /v1/payments?merchant_order_no=…. No such payment is an *[APIError]
// with status 404 and code payment_not_found.
func (c *Client) FindPayment(ctx context.Context, merchantOrderNo string) (*Payment, error) {
	if merchantOrderNo == "" {
		return nil, errors.New("paygate sdk: empty merchant_order_no")
	}
	var raw json.RawMessage
	q := url.Values{"merchant_order_no": {merchantOrderNo}}
	if err := c.do(ctx, http.MethodGet, "/v1/payments", q, nil, &raw, nil); err != nil {
		return nil, err
	}
	// The gateway answers with a list page; a single payment object is
	// accepted too.
	var probe struct {
		Data *[]Payment `json:"data"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("paygate sdk: decode response: %w", err)
	}
	if probe.Data == nil {
		var p Payment
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, fmt.Errorf("paygate sdk: decode response: %w", err)
		}
		return &p, nil
	}
	for i := range *probe.Data {
		if p := &(*probe.Data)[i]; p.MerchantOrderNo == merchantOrderNo {
			return p, nil
		}
	}
	return nil, &APIError{Status: http.StatusNotFound, Code: "payment_not_found", Message: "No payment with this merchant_order_no."}
}

// ListPaymentsParams filter and page GET /v1/payments. Zero fields are not
// sent.
type ListPaymentsParams struct {
	Status      string    // created, processing, succeeded or closed
	CreatedFrom time.Time // sent as created_from, RFC 3339
	CreatedTo   time.Time // sent as created_to, RFC 3339
	Cursor      string    // next_cursor of the previous page
	Limit       int       // page size; 0 = the gateway's default
}

// PaymentPage is one page of payments, newest first.
type PaymentPage struct {
	Data       []Payment `json:"data"`
	NextCursor string    `json:"next_cursor,omitempty"` // empty on the last page
}

// ListPayments returns one page of the merchant's payments. Pass
// page.NextCursor as the next call's Cursor until it is empty.
func (c *Client) ListPayments(ctx context.Context, p ListPaymentsParams) (*PaymentPage, error) {
	q := url.Values{}
	if p.Status != "" {
		q.Set("status", p.Status)
	}
	if !p.CreatedFrom.IsZero() {
		q.Set("created_from", p.CreatedFrom.UTC().Format(time.RFC3339))
	}
	if !p.CreatedTo.IsZero() {
		q.Set("created_to", p.CreatedTo.UTC().Format(time.RFC3339))
	}
	if p.Cursor != "" {
		q.Set("cursor", p.Cursor)
	}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	var out PaymentPage
	if err := c.do(ctx, http.MethodGet, "/v1/payments", q, nil, &out, nil); err != nil {
		return nil, err
	}
	return &out, nil
}

// ClosePayment closes an unpaid payment (POST /v1/payments/{id}/close) and
// returns it. The call carries an Idempotency-Key.
func (c *Client) ClosePayment(ctx context.Context, id string, opts ...CallOption) (*Payment, error) {
	if id == "" {
		return nil, errors.New("paygate sdk: empty payment id")
	}
	var out Payment
	if err := c.do(ctx, http.MethodPost, "/v1/payments/"+url.PathEscape(id)+"/close", nil, nil, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}
