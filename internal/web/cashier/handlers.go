package cashier

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"paygate/internal/errs"
	"paygate/internal/payment"
	"paygate/internal/web/ui"
)

// page shows the payment as it stands: the pay form, the processing page,
// the receipt, or why it can no longer be paid.
func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	p, ok := h.lookup(w, r)
	if !ok {
		return
	}
	h.show(w, r, http.StatusOK, p, nil, formValues{})
}

// payByCard takes the bank-card form: validate, one PayByCard call, show
// the outcome. Declines render the form again; anything else redirects to
// the payment's page (post/redirect/get), so a reload never pays twice.
func (h *Handler) payByCard(w http.ResponseWriter, r *http.Request) {
	p, ok := h.lookup(w, r)
	if !ok {
		return
	}
	if p.Status != payment.Created || h.expired(p) {
		h.seeOther(w, r, p.ID)
		return
	}
	f, problem := h.decodeCardForm(w, r)
	if problem != "" {
		l := ui.PickLang(r)
		h.show(w, r, http.StatusBadRequest, p, &notice{Title: messages.Text(l, problem), Tone: "bad"}, f.formValues)
		return
	}
	ctx := r.Context()
	res, err := h.payments.PayByCard(ctx, p.ID, f.card())
	if err != nil {
		h.payFailed(w, r, p, f, err)
		return
	}
	h.log.InfoContext(ctx, "cashier: card payment", "payment_id", p.ID, "card", f.card(), "status", res.Payment.Status,
		"attempt_id", res.Attempt.ID, "attempt_state", res.Attempt.State, "response_code", res.Attempt.ResponseCode)
	if res.Payment.Status == payment.Created && res.Attempt.State == payment.AttemptDeclined {
		f.CardNo = "" // the payer retries with another card
		h.show(w, r, http.StatusOK, res.Payment, h.declineNotice(r, res.Attempt), f.formValues)
		return
	}
	h.seeOther(w, r, p.ID)
}

// payFailed shows an error from PayByCard: nothing reached the bank.
func (h *Handler) payFailed(w http.ResponseWriter, r *http.Request, p payment.Payment, f cardForm, err error) {
	ctx := r.Context()
	l := ui.PickLang(r)
	e := errs.As(err)
	code := ""
	if e != nil {
		code = e.Code
	}
	h.log.WarnContext(ctx, "cashier: card payment refused", "payment_id", p.ID, "card", f.card(), "code", code, "err", err)
	form := func(status int, key string) {
		if q, err := h.payments.Lookup(ctx, p.ID); err == nil {
			p = q
		}
		h.show(w, r, status, p, &notice{Title: messages.Text(l, key), Tone: "bad"}, f.formValues)
	}
	switch {
	case errors.Is(err, payment.ErrNotFound):
		h.message(w, r, http.StatusNotFound, "bad", "notfound_title", messages.Text(l, "notfound_body"), nil)
	case errors.Is(err, payment.ErrNotPayable), errors.Is(err, payment.ErrExpired), errors.Is(err, payment.ErrAttemptInProgress):
		h.seeOther(w, r, p.ID)
	case errors.Is(err, payment.ErrMethodNotAllowed):
		form(http.StatusUnprocessableEntity, "method_na")
	case code == "card_not_supported":
		form(http.StatusUnprocessableEntity, "card_not_supp")
	case code == "bank_unavailable":
		form(http.StatusServiceUnavailable, "bank_down")
	default:
		h.internalError(w, r, err)
	}
}

// status answers the processing page's polls.
func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	p, err := h.payments.Lookup(r.Context(), r.PathValue("id"))
	body := map[string]any{}
	switch {
	case errors.Is(err, payment.ErrNotFound):
		w.WriteHeader(http.StatusNotFound)
		body["status"] = "not_found"
	case err != nil:
		h.log.ErrorContext(r.Context(), "cashier: status", "payment_id", r.PathValue("id"), "err", err)
		w.WriteHeader(http.StatusInternalServerError)
		body["status"] = "error"
	default:
		status := string(p.Status)
		if p.Status == payment.Created && h.expired(p) {
			status = "expired"
		}
		body["status"] = status
	}
	json.NewEncoder(w).Encode(body)
}

// returnToShop sends the payer to the shop's return URL, signed.
func (h *Handler) returnToShop(w http.ResponseWriter, r *http.Request) {
	p, ok := h.lookup(w, r)
	if !ok {
		return
	}
	u := h.returnURL(p)
	if u == "" {
		l := ui.PickLang(r)
		h.message(w, r, http.StatusOK, "info", "return_shop", messages.Text(l, "no_return"), &p)
		return
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// forbidden answers a cross-origin POST.
func (h *Handler) forbidden(w http.ResponseWriter, r *http.Request) {
	h.log.WarnContext(r.Context(), "cashier: cross-origin request refused", "path", r.URL.Path,
		"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
	h.message(w, r, http.StatusForbidden, "bad", "error_title", messages.Text(ui.PickLang(r), "forbidden_body"), nil)
}

// lookup finds the payment of the path, or writes the page saying why not.
func (h *Handler) lookup(w http.ResponseWriter, r *http.Request) (payment.Payment, bool) {
	p, err := h.payments.Lookup(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, payment.ErrNotFound):
		h.message(w, r, http.StatusNotFound, "bad", "notfound_title", messages.Text(ui.PickLang(r), "notfound_body"), nil)
		return p, false
	case err != nil:
		h.internalError(w, r, err)
		return p, false
	}
	return p, true
}

func (h *Handler) internalError(w http.ResponseWriter, r *http.Request, err error) {
	v := h.newView(r, "error_title")
	h.log.ErrorContext(r.Context(), "cashier: internal error", "path", r.URL.Path, "request_id", v.RequestID, "err", err)
	ref := v.RequestID
	if ref == "" {
		ref = "-"
	}
	h.message(w, r, http.StatusInternalServerError, "bad", "error_title", messages.Text(v.Lang, "error_body", ref), nil)
}

// seeOther redirects to the payment's page in the same language.
func (h *Handler) seeOther(w http.ResponseWriter, r *http.Request, id string) {
	http.Redirect(w, r, "/pay/"+id+"?lang="+string(ui.PickLang(r)), http.StatusSeeOther)
}

func (h *Handler) expired(p payment.Payment) bool { return !h.clock.Now().Before(p.ExpiresAt) }

// show renders the page for p's state. problem is an input problem or a
// decline to show on the form; without one, the form tells about the last
// attempt.
func (h *Handler) show(w http.ResponseWriter, r *http.Request, status int, p payment.Payment, problem *notice, form formValues) {
	ctx := r.Context()
	l := ui.PickLang(r)
	switch {
	case p.Status == payment.Succeeded:
		v := h.newView(r, "success_title").withPayment(p)
		if atts, err := h.payments.Attempts(ctx, p.ID); err == nil {
			for i := range atts {
				if atts[i].State == payment.AttemptApproved {
					v.Attempt = &atts[i]
				}
			}
		}
		if p.PaidAt != nil {
			v.PaidAt = formatTime(*p.PaidAt)
		}
		v.ReturnURL = h.returnURL(p)
		h.render(w, r, status, "success", v)
	case p.Status == payment.Processing:
		h.render(w, r, status, "processing", h.newView(r, "processing_title").withPayment(p))
	case p.Status == payment.Closed && p.PaidAt == nil && p.ClosedAt != nil && !p.ClosedAt.Before(p.ExpiresAt),
		p.Status == payment.Created && h.expired(p):
		h.message(w, r, http.StatusGone, "warn", "expired_title", messages.Text(l, "expired_body"), &p)
	case p.Status == payment.Closed:
		h.message(w, r, http.StatusGone, "warn", "closed_title", messages.Text(l, "closed_body"), &p)
	default:
		v := h.newView(r, "title_pay").withPayment(p)
		v.SecondsLeft = int64(p.ExpiresAt.Sub(h.clock.Now()).Seconds())
		v.Form = form
		if v.Form.Email == "" {
			v.Form.Email = p.PayerEmail
		}
		v.Problem = problem
		if problem == nil {
			v.Notice = h.lastAttemptNotice(r, p)
		}
		v.Methods = h.methods(l, p)
		v.Method = chosenMethod(r, form, v.Methods)
		v.Banks = h.bankViews(l, form)
		h.render(w, r, status, "pay", v)
	}
}

// lastAttemptNotice tells the payer what became of the last attempt, if it
// failed: a decline, or a reversal after an unknown outcome.
func (h *Handler) lastAttemptNotice(r *http.Request, p payment.Payment) *notice {
	atts, err := h.payments.Attempts(r.Context(), p.ID)
	if err != nil || len(atts) == 0 {
		return nil
	}
	last := atts[len(atts)-1]
	switch last.State {
	case payment.AttemptDeclined:
		return h.declineNotice(r, last)
	case payment.AttemptReversed:
		l := ui.PickLang(r)
		return &notice{Title: messages.Text(l, "not_paid_title"), Detail: messages.Text(l, "reversed_body"), Tone: "warn"}
	}
	return nil
}

func (h *Handler) declineNotice(r *http.Request, a payment.Attempt) *notice {
	l := ui.PickLang(r)
	n := &notice{Title: messages.Text(l, "declined_title"), Detail: messages.DeclineText(l, a.ResponseCode), Tone: "bad"}
	if a.ResponseCode != "" && a.ResponseCode != "XX" {
		n.Code, n.CodeText = a.ResponseCode, messages.Text(l, "bank_code", a.ResponseCode)
	}
	return n
}

// methodView is one tab of payment methods.
type methodView struct {
	Code, Name, Sub string
}

// methods are the tabs the payer can use for p: the methods the cashier
// has a form for, among those the payment allows.
func (h *Handler) methods(l ui.Lang, p payment.Payment) []methodView {
	var out []methodView
	all := []methodView{{Code: "bankcard", Name: messages.Text(l, "m_bankcard"), Sub: messages.Text(l, "m_bankcard_sub")}}
	if h.authn != nil {
		all = append(all, methodView{Code: accountMethod, Name: messages.Text(l, "m_account"), Sub: messages.Text(l, "m_account_sub")})
	}
	for _, m := range all {
		if len(p.Methods) == 0 || slices.Contains(p.Methods, m.Code) {
			out = append(out, m)
		}
	}
	return out
}

// chosenMethod is the tab to show: the form the payer just sent, else
// ?method=, else the first.
func chosenMethod(r *http.Request, form formValues, methods []methodView) string {
	want := form.Method
	if want == "" {
		want = r.URL.Query().Get("method")
	}
	for _, m := range methods {
		if m.Code == want {
			return want
		}
	}
	if len(methods) > 0 {
		return methods[0].Code
	}
	return ""
}

func (h *Handler) bankViews(l ui.Lang, form formValues) []bankView {
	selected := form.Bank
	if form.CardNo != "" {
		if b := h.bankOf(form.CardNo); b != "" {
			selected = b
		}
	}
	if selected == "" && len(h.banks) > 0 {
		selected = h.banks[0].Code
	}
	var out []bankView
	for _, b := range h.banks {
		name := b.NameZH
		if l == ui.EN {
			name = b.NameEN
		}
		out = append(out, bankView{Code: b.Code, Short: strings.ToUpper(b.Code), Name: name, Prefixes: strings.Join(b.Prefixes, " "), Selected: b.Code == selected})
	}
	return out
}
