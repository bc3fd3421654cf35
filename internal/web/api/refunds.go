package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"paygate/internal/money"
	"paygate/internal/payment"
	"paygate/internal/web"
)

// Refunds is what the API needs of the refund side of the payment service.
type Refunds interface {
	CreateRefund(ctx context.Context, p payment.RefundParams) (payment.Refund, error)
	ProcessRefund(ctx context.Context, refundID string) (payment.Refund, error)
	GetRefund(ctx context.Context, merchantID, refundID string) (payment.Refund, error)
	Refunds(ctx context.Context, merchantID, paymentID string) ([]payment.Refund, error)
}

// syncRefundTimeout bounds the one try POST /v1/refunds makes before it
// answers; a try still unanswered by then goes on (or is reversed and
// retried) in the background, and the refund is returned as processing.
const syncRefundTimeout = 20 * time.Second

// refundJSON is the API's refund object. Amounts are integers in minor
// units of currency.
type refundJSON struct {
	ID               string     `json:"id"`
	Object           string     `json:"object"`
	PaymentID        string     `json:"payment_id"`
	MerchantOrderNo  string     `json:"merchant_order_no"`
	MerchantRefundNo string     `json:"merchant_refund_no"`
	Amount           int64      `json:"amount"`
	Currency         string     `json:"currency"`
	Reason           string     `json:"reason"`
	Method           string     `json:"method"`
	Status           string     `json:"status"`
	BatchID          string     `json:"batch_id,omitempty"`
	FailureCode      string     `json:"failure_code,omitempty"`
	FailureMessage   string     `json:"failure_message,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
	SucceededAt      *time.Time `json:"succeeded_at,omitempty"`
}

// RefundToJSON converts a refund to its API shape; notifications
// (refund.succeeded, refund.failed) carry the same object.
func (a *API) RefundToJSON(r payment.Refund) any { return refundToJSON(r) }

func refundToJSON(r payment.Refund) refundJSON {
	return refundJSON{
		ID: r.ID, Object: "refund", PaymentID: r.PaymentID, MerchantOrderNo: r.MerchantOrderNo,
		MerchantRefundNo: r.MerchantRefundNo, Amount: r.Amount.Minor(), Currency: string(r.Amount.Currency()),
		Reason: r.Reason, Method: r.Method, Status: string(r.Status), BatchID: r.BatchID, FailureCode: r.FailureCode,
		FailureMessage: r.FailureMessage, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, SucceededAt: r.SucceededAt,
	}
}

// createRefundRequest is the body of POST /v1/refunds.
type createRefundRequest struct {
	PaymentID        string `json:"payment_id"`
	MerchantOrderNo  string `json:"merchant_order_no"`
	MerchantRefundNo string `json:"merchant_refund_no"`
	Amount           int64  `json:"amount"` // minor units of the payment's currency
	Reason           string `json:"reason"`
}

// refundListJSON is a payment's refunds.
type refundListJSON struct {
	Object string       `json:"object"`
	Data   []refundJSON `json:"data"`
}

// refunds returns the refund service, or nil when the API has none.
func (a *API) refunds() Refunds {
	if a.d.Refunds != nil {
		return a.d.Refunds
	}
	r, _ := a.d.Payments.(Refunds)
	return r
}

// createRefund answers POST /v1/refunds: it records the refund and makes
// one try at it at once (bounded by syncRefundTimeout), then returns the
// refund as it stands — succeeded, failed, or pending/processing while the
// background worker carries on.
func (a *API) createRefund(r *http.Request, merchantID string, body []byte) (int, any, error) {
	svc := a.refunds()
	if svc == nil {
		return 0, nil, errNotFound
	}
	var req createRefundRequest
	if err := decode(body, &req); err != nil {
		return 0, nil, err
	}
	rf, err := svc.CreateRefund(r.Context(), payment.RefundParams{
		MerchantID: merchantID, PaymentID: req.PaymentID, MerchantOrderNo: req.MerchantOrderNo,
		MerchantRefundNo: req.MerchantRefundNo, Amount: money.New(req.Amount, ""), Reason: req.Reason,
	})
	if err != nil {
		return 0, nil, err
	}
	if rf.Status == payment.RefundPending {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), syncRefundTimeout)
		defer cancel()
		if tried, err := svc.ProcessRefund(ctx, rf.ID); err != nil {
			// Best effort: the refund is recorded and the worker tries it.
			a.d.Logger.WarnContext(r.Context(), "refund try failed", "request_id", web.RequestID(r.Context()),
				"refund_id", rf.ID, "err", err)
		} else {
			rf = tried
		}
	}
	return http.StatusOK, refundToJSON(rf), nil
}

func (a *API) getRefund(r *http.Request, merchantID string, _ []byte) (int, any, error) {
	svc := a.refunds()
	if svc == nil {
		return 0, nil, errNotFound
	}
	rf, err := svc.GetRefund(r.Context(), merchantID, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, refundToJSON(rf), nil
}

// listRefunds answers GET /v1/payments/{id}/refunds, oldest first.
func (a *API) listRefunds(r *http.Request, merchantID string, _ []byte) (int, any, error) {
	svc := a.refunds()
	if svc == nil {
		return 0, nil, errNotFound
	}
	rs, err := svc.Refunds(r.Context(), merchantID, r.PathValue("id"))
	if err != nil {
		return 0, nil, fmt.Errorf("refunds of %s: %w", r.PathValue("id"), err)
	}
	out := refundListJSON{Object: "list", Data: make([]refundJSON, 0, len(rs))}
	for _, rf := range rs {
		out.Data = append(out.Data, refundToJSON(rf))
	}
	return http.StatusOK, out, nil
}
