package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"paygate/internal/money"
	"paygate/internal/payment"
)

// paymentJSON is the API's payment object. Amounts are integers in minor
// units of currency.
type paymentJSON struct {
	ID              string     `json:"id"`
	Object          string     `json:"object"`
	MerchantOrderNo string     `json:"merchant_order_no"`
	Amount          int64      `json:"amount"`
	Currency        string     `json:"currency"`
	Subject         string     `json:"subject"`
	Status          string     `json:"status"`
	Fee             int64      `json:"fee"`
	RefundedAmount  int64      `json:"refunded_amount"`
	AllowedMethods  []string   `json:"allowed_methods"`
	PayerEmail      string     `json:"payer_email,omitempty"`
	NotifyURL       string     `json:"notify_url,omitempty"`
	ReturnURL       string     `json:"return_url,omitempty"`
	CashierURL      string     `json:"cashier_url"`
	ExpiresAt       time.Time  `json:"expires_at"`
	PaidAt          *time.Time `json:"paid_at,omitempty"`
	ClosedAt        *time.Time `json:"closed_at,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

// ToJSON converts a payment to its API shape; notifications carry the same
// object.
func (a *API) ToJSON(p payment.Payment) any { return a.toJSON(p) }

func (a *API) toJSON(p payment.Payment) paymentJSON {
	out := paymentJSON{
		ID: p.ID, Object: "payment", MerchantOrderNo: p.MerchantOrderNo, Amount: p.Amount.Minor(),
		Currency: string(p.Amount.Currency()), Subject: p.Subject, Status: string(p.Status), Fee: p.Fee.Minor(),
		RefundedAmount: p.Refunded.Minor(), AllowedMethods: p.Methods, PayerEmail: p.PayerEmail, NotifyURL: p.NotifyURL,
		ReturnURL: p.ReturnURL, ExpiresAt: p.ExpiresAt, PaidAt: p.PaidAt, ClosedAt: p.ClosedAt,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
	if a.d.CashierURL != nil {
		out.CashierURL = a.d.CashierURL(p.ID)
	}
	return out
}

// createPaymentRequest is the body of POST /v1/payments.
type createPaymentRequest struct {
	MerchantOrderNo string   `json:"merchant_order_no"`
	Amount          int64    `json:"amount"`
	Currency        string   `json:"currency"`
	Subject         string   `json:"subject"`
	NotifyURL       string   `json:"notify_url"`
	ReturnURL       string   `json:"return_url"`
	ExpiresIn       int64    `json:"expires_in"` // seconds; 0 for the default
	AllowedMethods  []string `json:"allowed_methods"`
	PayerEmail      string   `json:"payer_email"`
}

func decode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %s", errBadJSON, err.Error())
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data after the JSON object", errBadJSON)
	}
	return nil
}

func (a *API) createPayment(r *http.Request, merchantID string, body []byte) (int, any, error) {
	var req createPaymentRequest
	if err := decode(body, &req); err != nil {
		return 0, nil, err
	}
	cur, err := money.ParseCurrency(req.Currency)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: currency must be an ISO 4217 code such as CNY", payment.ErrInvalid)
	}
	if req.ExpiresIn < 0 || req.ExpiresIn > 7*24*3600 {
		return 0, nil, fmt.Errorf("%w: expires_in must be between 60 s and 7 days", payment.ErrInvalid)
	}
	p, err := a.d.Payments.Create(r.Context(), payment.CreateParams{
		MerchantID: merchantID, MerchantOrderNo: req.MerchantOrderNo, Amount: money.New(req.Amount, cur),
		Subject: req.Subject, NotifyURL: req.NotifyURL, ReturnURL: req.ReturnURL,
		ExpiresIn: time.Duration(req.ExpiresIn) * time.Second, Methods: req.AllowedMethods, PayerEmail: req.PayerEmail,
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, a.toJSON(p), nil
}

func (a *API) getPayment(r *http.Request, merchantID string, _ []byte) (int, any, error) {
	p, err := a.d.Payments.Get(r.Context(), merchantID, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.toJSON(p), nil
}

func (a *API) closePayment(r *http.Request, merchantID string, _ []byte) (int, any, error) {
	p, err := a.d.Payments.Close(r.Context(), merchantID, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.toJSON(p), nil
}

// listJSON is a page of payments.
type listJSON struct {
	Object     string        `json:"object"`
	Data       []paymentJSON `json:"data"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

// listPayments answers GET /v1/payments: with merchant_order_no it returns
// that payment; otherwise a page, filtered by status and created_from /
// created_to (RFC 3339), continued with cursor, limit 1–100 (default 20).
func (a *API) listPayments(r *http.Request, merchantID string, _ []byte) (int, any, error) {
	q := r.URL.Query()
	if no := q.Get("merchant_order_no"); no != "" {
		p, err := a.d.Payments.FindByOrderNo(r.Context(), merchantID, no)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, a.toJSON(p), nil
	}
	f := payment.ListFilter{Status: payment.Status(q.Get("status")), Before: q.Get("cursor"), Limit: 20}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, nil, fmt.Errorf("%w: limit must be a number 1–100", payment.ErrInvalid)
		}
		f.Limit = n
	}
	for name, dst := range map[string]*time.Time{"created_from": &f.CreatedFrom, "created_to": &f.CreatedTo} {
		if s := q.Get(name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return 0, nil, fmt.Errorf("%w: %s must be an RFC 3339 time", payment.ErrInvalid, name)
			}
			*dst = t
		}
	}
	ps, next, err := a.d.Payments.List(r.Context(), merchantID, f)
	if err != nil {
		return 0, nil, err
	}
	out := listJSON{Object: "list", Data: make([]paymentJSON, 0, len(ps)), NextCursor: next}
	for _, p := range ps {
		out.Data = append(out.Data, a.toJSON(p))
	}
	return http.StatusOK, out, nil
}

func (a *API) gatewayKeys(w http.ResponseWriter, r *http.Request) {
	var keys any = []any{}
	if a.d.GatewayKeys != nil {
		keys = a.d.GatewayKeys()
	}
	a.write(w, r, http.StatusOK, map[string]any{"keys": keys})
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
