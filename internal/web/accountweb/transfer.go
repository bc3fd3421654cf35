package accountweb

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"paygate/internal/account"
	"paygate/internal/channel"
	"paygate/internal/errs"
	"paygate/internal/ledger"
	"paygate/internal/money"
	"paygate/internal/web/ui"
)

// sendData is the send form. Key is the idempotency key made when the form
// is first rendered and kept when it is shown again after a problem.
type sendData struct {
	Key, To, Amount, Note string
}

func (h *Handler) sendForm(w http.ResponseWriter, r *http.Request, a account.Account) {
	h.render(w, r, http.StatusOK, "send", h.userView(r, a, "title_send", "send").with(sendData{Key: newSecret()}))
}

// send pays an email address: at once into its account, or into a claim
// that invites it. The same form sent twice moves the money once.
func (h *Handler) send(w http.ResponseWriter, r *http.Request, a account.Account) {
	ctx := r.Context()
	f := sendData{Key: r.PostForm.Get("key"), To: strings.TrimSpace(r.PostForm.Get("to")),
		Amount: strings.TrimSpace(r.PostForm.Get("amount")), Note: strings.TrimSpace(r.PostForm.Get("note"))}
	v := h.userView(r, a, "title_send", "send").with(&f)
	problem := func(status int, text string) {
		v.Problem = text
		h.render(w, r, status, "send", v)
	}
	if f.Key == "" || len(f.Key) > 100 {
		f.Key = newSecret()
		problem(http.StatusBadRequest, v.T("bad_form_body"))
		return
	}
	to, err := account.NormalizeEmail(f.To)
	if err != nil {
		problem(http.StatusBadRequest, v.T("bad_email"))
		return
	}
	amt, err := parseAmount(f.Amount, h.cur)
	if err != nil {
		problem(http.StatusBadRequest, amountProblem(v.Lang, err, h.cur))
		return
	}
	if utf8.RuneCountInString(f.Note) > 200 {
		problem(http.StatusBadRequest, v.T("note_long"))
		return
	}
	sent, err := h.wallet.Send(ctx, a.ID, to, amt, f.Note, f.Key)
	switch {
	case errors.Is(err, ledger.ErrKeyReused):
		f.Key = newSecret() // the form changed after it was sent: a new transfer needs a new key
		problem(http.StatusConflict, v.T("key_reused"))
		return
	case err != nil:
		h.log.InfoContext(ctx, "account: send refused", "account_id", a.ID, "amount", amt.Format(), "code", errs.CodeOf(err))
		h.failed(w, r, err, "send", v)
		return
	}
	h.log.InfoContext(ctx, "account: money sent", "account_id", a.ID, "amount", amt.Format(), "entry_id", sent.EntryID,
		"landed", sent.ToAccount != "", "claim", sent.Claim != nil)
	switch {
	case sent.Claim != nil:
		h.flash(r, "flash_held", to, ui.FormatAmount(amt), sent.Claim.ExpiresAt.In(h.loc).Format("2006-01-02"))
	case sent.ToAccount != "":
		h.flash(r, "flash_sent", to, ui.FormatAmount(amt))
	default: // a replay of a transfer that became a claim
		h.flash(r, "flash_again")
	}
	h.seeOther(w, r, "/account/")
}

// amountProblem is the message for a parseAmount error.
func amountProblem(l ui.Lang, err error, cur money.Currency) string {
	if errors.Is(err, errAmountBig) {
		return messages.Text(l, "amount_big", ui.FormatAmount(maxAmount(cur)))
	}
	return messages.Text(l, err.Error())
}

// cardData is the top-up and withdrawal form as shown again. The PIN is
// never in it. Key is the idempotency key made when the form is rendered:
// kept when it is shown again for an input problem (nothing was sent), new
// once the wallet has answered, since the form then starts another request.
type cardData struct {
	Key, CardNo, Amount string
}

// cardForm is the decoded card form; the PIN stays apart from cardData.
type cardForm struct {
	cardData
	PIN string
}

// decodeCardForm reads a card form and returns the first problem's text,
// or "". withPIN says whether the form has a PIN (top-up) or not
// (withdrawal).
func (h *Handler) decodeCardForm(r *http.Request, l ui.Lang, withPIN bool) (cardForm, money.Amount, string) {
	f := cardForm{cardData: cardData{Key: r.PostForm.Get("key"), CardNo: ui.NormalizeCardNumber(r.PostForm.Get("card_no")),
		Amount: strings.TrimSpace(r.PostForm.Get("amount"))}}
	if withPIN {
		f.PIN = r.PostForm.Get("pin")
	}
	switch {
	case f.Key == "" || len(f.Key) > 100:
		f.Key = newSecret()
		return f, money.Amount{}, messages.Text(l, "bad_form_body")
	case f.CardNo == "":
		return f, money.Amount{}, messages.Text(l, "bad_card_empty")
	case !ui.ValidPAN(f.CardNo):
		return f, money.Amount{}, messages.Text(l, "bad_card")
	case withPIN && !ui.ValidPIN(f.PIN):
		return f, money.Amount{}, messages.Text(l, "bad_pin")
	}
	amt, err := parseAmount(f.Amount, h.cur)
	if err != nil {
		return f, money.Amount{}, amountProblem(l, err, h.cur)
	}
	return f, amt, ""
}

func (h *Handler) topUpForm(w http.ResponseWriter, r *http.Request, a account.Account) {
	h.render(w, r, http.StatusOK, "topup", h.userView(r, a, "title_topup", "topup").with(&cardData{Key: newSecret()}))
}

// topUp debits a card into the balance. The same form sent twice debits
// the card once: the second gets the first's top-up back.
func (h *Handler) topUp(w http.ResponseWriter, r *http.Request, a account.Account) {
	ctx := r.Context()
	v := h.userView(r, a, "title_topup", "topup")
	f, amt, problem := h.decodeCardForm(r, v.Lang, true)
	v.with(&f.cardData)
	if problem != "" {
		v.Problem = problem
		h.render(w, r, http.StatusBadRequest, "topup", v)
		return
	}
	card := channel.Card{PAN: f.CardNo, PIN: f.PIN}
	t, err := h.wallet.TopUp(ctx, a.ID, card, amt, f.Key)
	f.Key = newSecret() // whatever is shown next is a new top-up
	if err != nil {
		h.log.WarnContext(ctx, "account: top-up refused", "account_id", a.ID, "card", card, "amount", amt.Format(), "code", errs.CodeOf(err), "err", err)
		h.failed(w, r, err, "topup", v)
		return
	}
	h.log.InfoContext(ctx, "account: top-up", "account_id", a.ID, "card", card, "amount", amt.Format(), "topup_id", t.ID,
		"state", t.State, "response_code", t.ResponseCode)
	switch t.State {
	case "succeeded":
		h.flash(r, "flash_topup", card.Masked(), ui.FormatAmount(amt))
		h.seeOther(w, r, "/account/")
	case "declined":
		f.CardNo = "" // try another card
		h.declined(w, r, v, "topup", t.ResponseCode)
	case "sent": // the same form, sent before, is still with the bank
		v.Problem, v.Tone = v.T("card_in_flight"), "warn"
		h.render(w, r, http.StatusOK, "topup", v)
	default: // unknown or reversed: nothing was credited
		v.Problem, v.Tone = v.T("topup_unknown"), "warn"
		h.render(w, r, http.StatusOK, "topup", v)
	}
}

func (h *Handler) withdrawForm(w http.ResponseWriter, r *http.Request, a account.Account) {
	h.render(w, r, http.StatusOK, "withdraw", h.userView(r, a, "title_withdraw", "withdraw").with(&cardData{Key: newSecret()}))
}

// withdraw pays the balance out to a card. The same form sent twice pays
// once: the second gets the first's withdrawal back.
func (h *Handler) withdraw(w http.ResponseWriter, r *http.Request, a account.Account) {
	ctx := r.Context()
	v := h.userView(r, a, "title_withdraw", "withdraw")
	f, amt, problem := h.decodeCardForm(r, v.Lang, false)
	v.with(&f.cardData)
	if problem != "" {
		v.Problem = problem
		h.render(w, r, http.StatusBadRequest, "withdraw", v)
		return
	}
	card := channel.Card{PAN: f.CardNo}
	wd, err := h.wallet.Withdraw(ctx, a.ID, card, amt, f.Key)
	f.Key = newSecret() // whatever is shown next is a new withdrawal
	if err != nil {
		h.log.WarnContext(ctx, "account: withdrawal refused", "account_id", a.ID, "card", card, "amount", amt.Format(), "code", errs.CodeOf(err), "err", err)
		h.failed(w, r, err, "withdraw", v)
		return
	}
	h.log.InfoContext(ctx, "account: withdrawal", "account_id", a.ID, "card", card, "amount", amt.Format(), "withdrawal_id", wd.ID,
		"state", wd.State, "response_code", wd.ResponseCode)
	switch wd.State {
	case "succeeded":
		h.flash(r, "flash_withdraw", ui.FormatAmount(amt), card.Masked())
		h.seeOther(w, r, "/account/")
	case "declined":
		h.declined(w, r, v, "withdraw", wd.ResponseCode)
	case "sent": // the same form, sent before, is still with the bank
		v.Problem, v.Tone = v.T("card_in_flight"), "warn"
		h.render(w, r, http.StatusOK, "withdraw", v)
	default: // unknown or reversed: being resolved
		v.Problem, v.Tone = v.T("withdraw_unknown"), "warn"
		h.render(w, r, http.StatusOK, "withdraw", v)
	}
}

// declined shows the bank's reason on the card form.
func (h *Handler) declined(w http.ResponseWriter, r *http.Request, v *view, page, code string) {
	v.Problem = v.T("declined_title") + ": " + messages.DeclineText(v.Lang, code)
	if code != "" && code != "XX" {
		v.Detail = v.T("bank_code", code)
	}
	h.render(w, r, http.StatusOK, page, v)
}
