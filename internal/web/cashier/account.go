package cashier

import (
	"errors"
	"net/http"
	"strings"

	"paygate/internal/payment"
	"paygate/internal/web/ui"
)

// accountMethod is the payment method of account balances.
const accountMethod = "account"

// payFromAccount takes the account form (MISSION K4): the payer's email
// and password are checked (failures count towards the account's
// lock-out), then the payment is paid from the balance in one transaction.
// The password is used for this call only. Refusals render the form again
// with the reason; success redirects to the receipt (post/redirect/get).
func (h *Handler) payFromAccount(w http.ResponseWriter, r *http.Request) {
	p, ok := h.lookup(w, r)
	if !ok {
		return
	}
	if h.authn == nil {
		http.NotFound(w, r)
		return
	}
	if p.Status != payment.Created || h.expired(p) {
		h.seeOther(w, r, p.ID)
		return
	}
	l := ui.PickLang(r)
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		h.show(w, r, http.StatusBadRequest, p, &notice{Title: messages.Text(l, "bad_form"), Tone: "bad"}, formValues{Method: accountMethod})
		return
	}
	f := formValues{Method: accountMethod, Email: strings.TrimSpace(r.PostForm.Get("account_email"))}
	password := r.PostForm.Get("password")
	if f.Email == "" || password == "" {
		h.show(w, r, http.StatusBadRequest, p, &notice{Title: messages.Text(l, "acct_missing"), Tone: "bad"}, f)
		return
	}
	ctx := r.Context()
	accountID, err := h.authn(ctx, f.Email, password)
	if err == nil {
		var res payment.PayResult
		res, err = h.payments.PayFromAccount(ctx, p.ID, accountMethod, accountID)
		if err == nil {
			h.log.InfoContext(ctx, "cashier: account payment", "payment_id", p.ID, "account_id", accountID,
				"attempt_id", res.Attempt.ID, "status", res.Payment.Status)
			h.seeOther(w, r, p.ID)
			return
		}
	}
	h.log.WarnContext(ctx, "cashier: account payment refused", "payment_id", p.ID, "account_id", accountID, "err", err)
	switch {
	case errors.Is(err, payment.ErrNotFound):
		h.message(w, r, http.StatusNotFound, "bad", "notfound_title", messages.Text(l, "notfound_body"), nil)
		return
	case errors.Is(err, payment.ErrNotPayable), errors.Is(err, payment.ErrExpired), errors.Is(err, payment.ErrAttemptInProgress):
		h.seeOther(w, r, p.ID)
		return
	}
	detail, status, ok := messages.ErrorText(l, err)
	if !ok {
		h.internalError(w, r, err)
		return
	}
	if q, err := h.payments.Lookup(ctx, p.ID); err == nil {
		p = q
	}
	h.show(w, r, status, p, &notice{Title: messages.Text(l, "acct_refused"), Detail: detail, Tone: "bad"}, f)
}
