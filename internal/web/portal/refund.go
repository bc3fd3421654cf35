package portal

import (
	"context"
	"net/http"
	"strings"
	"time"

	"paygate/internal/errs"
	"paygate/internal/payment"
	"paygate/internal/web/ui"
)

// maxRefundDigits bounds the integer digits of a typed refund amount.
const maxRefundDigits = 12

// refundNoPrefix starts the refund number made for a form sent without
// one: the form's own key, so that sending the form twice (a double click,
// a retry) refunds once.
const refundNoPrefix = "portal-"

// refund gives part or all of a payment back: the refund is created, then
// one try is made at once; the payment page shows the outcome. A refund
// whose try did not finish is carried on by the refund worker.
func (h *Handler) refund(w http.ResponseWriter, r *http.Request, u who) {
	ctx := r.Context()
	v := h.userView(r, u, "title_payment", "payments")
	d, err := h.paymentData(r, u, v)
	if err != nil {
		h.failed(w, r, u, err)
		return
	}
	f := refundForm{Amount: strings.TrimSpace(r.PostForm.Get("amount")), Reason: strings.TrimSpace(r.PostForm.Get("reason")),
		RefundNo: strings.TrimSpace(r.PostForm.Get("refund_no")), Key: r.PostForm.Get("key")}
	d.Form = f
	again := func(status int, problem string) {
		if f.Key == "" {
			d.Form.Key = ui.NewSecret()
		}
		v.Problem = problem
		h.render(w, r, status, "payment", v.with(d))
	}
	amt, err := ui.ParseAmount(f.Amount, d.currency, maxRefundDigits)
	if err != nil {
		again(http.StatusBadRequest, v.T(err.Error()))
		return
	}
	refundNo := f.RefundNo
	if refundNo == "" {
		if len(f.Key) < 24 || strings.ContainsAny(f.Key, " \t\r\n") {
			again(http.StatusBadRequest, v.T("bad_form_body"))
			return
		}
		refundNo = refundNoPrefix + f.Key[:24]
	}
	rf, err := h.d.Payments.CreateRefund(ctx, payment.RefundParams{MerchantID: u.MerchantID, PaymentID: d.ID,
		MerchantRefundNo: refundNo, Amount: amt, Reason: f.Reason})
	if err != nil {
		text, status, ok := messages.ErrorText(v.Lang, err)
		if !ok {
			h.internalError(w, r, err)
			return
		}
		h.log.InfoContext(ctx, "portal: refund refused", "staff_id", u.ID, "merchant_id", u.MerchantID, "payment_id", d.ID,
			"amount", amt.Format(), "code", errs.CodeOf(err))
		again(status, text)
		return
	}
	h.log.InfoContext(ctx, "portal: refund created", "staff_id", u.ID, "merchant_id", u.MerchantID, "payment_id", d.ID,
		"refund_id", rf.ID, "amount", rf.Amount.Format())
	if rf.Status == payment.RefundPending {
		// The try must not be cut short by the browser going away: that
		// would leave its outcome unknown and set off a needless reversal.
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refundTryTimeout)
		done, err := h.d.Payments.ProcessRefund(tctx, rf.ID)
		cancel()
		if err != nil {
			// The refund stands; the worker tries again.
			h.log.WarnContext(ctx, "portal: refund try", "refund_id", rf.ID, "err", err)
		} else {
			rf = done
		}
	}
	key := "refund_" + string(rf.Status)
	if rf.Status == payment.RefundFailed {
		h.flash(ctx, "refund_done_failed", ui.FormatAmount(rf.Amount), rf.ID, rf.FailureMessage)
	} else if _, ok := messages[key+"_flash"]; ok {
		h.flash(ctx, key+"_flash", ui.FormatAmount(rf.Amount), rf.ID)
	}
	h.seeOther(w, r, "/portal/payments/"+d.ID+"#refunds")
}

// refundTryTimeout bounds the refund form's own try at the bank; the worker
// carries on with a refund whose try did not finish by then.
const refundTryTimeout = 30 * time.Second
