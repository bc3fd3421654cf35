package cashier

import (
	"embed"
	"net/http"
	"time"

	"paygate/internal/payment"
	"paygate/internal/web"
	"paygate/internal/web/ui"
)

// files are the page templates (templates/*.html) and the static assets
// (assets/).
//
//go:embed templates/*.html assets
var files embed.FS

// contentSecurityPolicy allows only the cashier's own scripts, styles and
// images, forms posting back to the cashier, and no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// secure sets the headers every cashier response carries ([ui.Secure]).
func secure(next http.HandlerFunc) http.Handler { return ui.Secure(contentSecurityPolicy, next) }

// assetPrefix is where the embedded assets are served, under their content
// hash. They are no-store like every cashier response: they are small.
const assetPrefix = "/pay/assets/"

// pageNames are the templates under templates/, each rendered inside
// layout.html.
var pageNames = []string{"pay", "processing", "success", "message"}

// view is what every page template sees.
type view struct {
	Lang      ui.Lang
	Title     string
	Query     string // "?lang=…" to keep the language on links
	SwitchURL string // the same page in the other language
	RequestID string

	Payment payment.Payment
	Amount  string // "¥12.34"
	Code    string // "CNY"

	// pay
	SecondsLeft int64
	Banks       []bankView
	Form        formValues
	Problem     *notice // input problem or decline
	Notice      *notice // news about an earlier attempt
	Methods     []methodView
	Method      string // the method whose form is shown

	// success
	Attempt   *payment.Attempt
	ReturnURL string
	PaidAt    string

	// message pages
	Heading string
	Body    string
	Tone    string // "bad", "warn", "info"
}

// T returns the message key in the page's language.
func (v *view) T(key string, args ...any) string { return messages.Text(v.Lang, key, args...) }

// notice is a box on the pay page.
type notice struct {
	Title    string
	Detail   string
	Code     string // bank response code, if any
	CodeText string // "Bank response code 51"
	Tone     string // "bad" or "warn"
}

// bankView is one bank choice.
type bankView struct {
	Code, Short, Name, Prefixes string
	Selected                    bool
}

// formValues are what the payer typed, shown again after a problem. The
// PIN is never among them.
type formValues struct {
	Bank, Email, CardNo string
	Method              string // the form it came from: bankcard or account
}

// newView fills the fields every page has.
func (h *Handler) newView(r *http.Request, title string) *view {
	l := ui.PickLang(r)
	return &view{
		Lang:      l,
		Title:     messages.Text(l, title),
		Query:     "?lang=" + string(l),
		SwitchURL: r.URL.Path + "?lang=" + string(l.Other()),
		RequestID: web.RequestID(r.Context()),
	}
}

// withPayment adds the order summary.
func (v *view) withPayment(p payment.Payment) *view {
	v.Payment = p
	v.Amount = ui.FormatAmount(p.Amount)
	v.Code = string(p.Amount.Currency())
	return v
}

// formatTime shows t in China Standard Time, where the payer most likely is.
func formatTime(t time.Time) string { return ui.FormatTime(t, ui.ChinaTime) + " (UTC+8)" }

// render writes page with status; a template error becomes a clean 500
// ([ui.Pages.Render]), logged here.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	if err := h.pages.Render(w, status, page, v); err != nil {
		h.log.ErrorContext(r.Context(), "cashier: render", "page", page, "request_id", v.RequestID, "err", err)
	}
}

// message renders a page with just a heading and a text.
func (h *Handler) message(w http.ResponseWriter, r *http.Request, status int, tone, title, body string, p *payment.Payment) {
	v := h.newView(r, title)
	v.Heading, v.Body, v.Tone = v.Title, body, tone
	if p != nil {
		v.withPayment(*p)
		v.ReturnURL = h.returnURL(*p)
	}
	h.render(w, r, status, "message", v)
}
