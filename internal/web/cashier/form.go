package cashier

import (
	"net/http"
	"strings"

	"paygate/internal/channel"
	"paygate/internal/web/ui"
)

// cardForm is the decoded bank-card form. PIN is kept apart from
// [formValues] so that it can never be rendered back.
type cardForm struct {
	formValues
	PIN string
}

// maxFormBytes bounds the card form.
const maxFormBytes = 8 << 10

// decodeCardForm reads the form; it returns the message key of the first
// problem, or "".
func (h *Handler) decodeCardForm(w http.ResponseWriter, r *http.Request) (cardForm, string) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return cardForm{}, "bad_card"
	}
	f := cardForm{
		formValues: formValues{
			Method: "bankcard",
			Bank:   strings.TrimSpace(r.PostForm.Get("bank")),
			Email:  strings.TrimSpace(r.PostForm.Get("email")),
			CardNo: ui.NormalizeCardNumber(r.PostForm.Get("card_no")),
		},
		PIN: r.PostForm.Get("pin"),
	}
	switch {
	case f.CardNo == "":
		return f, "bad_card_empty"
	case !ui.ValidPAN(f.CardNo):
		return f, "bad_card"
	case !ui.ValidPIN(f.PIN):
		return f, "bad_pin"
	case f.Email != "" && !validEmail(f.Email):
		return f, "bad_email"
	case len(h.banks) > 0 && h.bankOf(f.CardNo) == "":
		return f, "card_not_supp"
	}
	return f, ""
}

// card is what goes to the payment service.
func (f cardForm) card() channel.Card { return channel.Card{PAN: f.CardNo, PIN: f.PIN} }

func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && len(s) <= 254 && local != "" && strings.Contains(domain, ".") &&
		!strings.ContainsAny(s, " \t\r\n<>\"") && !strings.Contains(domain, "@")
}

// bankOf is the code of the bank whose prefix the card number has, or "".
func (h *Handler) bankOf(pan string) string {
	for _, b := range h.banks {
		for _, p := range b.Prefixes {
			if strings.HasPrefix(pan, p) {
				return b.Code
			}
		}
	}
	return ""
}
