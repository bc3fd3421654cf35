// Package cashier serves the hosted cashier (收银台): the pages a payer sees at
// a payment's cashier_url. The payer reviews the order, chooses a method and a
// bank, types a card number and PIN, and is taken back to the shop.
//
// The pages are plain HTML from html/template with one stylesheet and a little
// vanilla JavaScript (countdown, bank detection, polling), all embedded: no
// external assets. Every page is Chinese or English.
//
// Security:
//   - The PIN goes straight into [channel.Card] for one call and is never
//     logged, stored or written back into a page; card numbers are logged
//     only masked.
//   - The POST is protected against cross-site forgery by
//     [http.CrossOriginProtection] (Sec-Fetch-Site / Origin checks). The
//     cashier keeps no session and sets no cookie, so there is no ambient
//     credential for a token to protect; refusing cross-origin POSTs is what
//     stops another site from submitting cards into a payer's payment.
//   - Every response carries Cache-Control: no-store, a self-only
//     Content-Security-Policy, nosniff, no-referrer and frame-ancestors 'none'.
package cashier

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"

	"paygate/internal/channel"
	"paygate/internal/clock"
	"paygate/internal/payment"
	"paygate/internal/web/ui"
)

// Payments is what the cashier needs from the payment service
// (*payment.Service implements it).
type Payments interface {
	Lookup(ctx context.Context, paymentID string) (payment.Payment, error)
	PayByCard(ctx context.Context, paymentID string, card channel.Card) (payment.PayResult, error)
	PayFromAccount(ctx context.Context, paymentID, method, accountID string) (payment.PayResult, error)
	Attempts(ctx context.Context, paymentID string) ([]payment.Attempt, error)
}

var _ Payments = (*payment.Service)(nil)

// BankOption is a bank the payer can choose, and the card-number prefixes
// (BINs) that identify its cards.
type BankOption struct {
	Code     string // "icbc"
	NameZH   string // "中国工商银行"
	NameEN   string // "ICBC"
	Prefixes []string
}

// Deps are what the cashier needs.
type Deps struct {
	Payments Payments
	Logger   *slog.Logger // default: discard
	Clock    clock.Clock  // default: the system clock
	// ReturnURLFunc builds the (signed) URL that takes the payer back to the
	// shop; "" means there is nowhere to return to. Default:
	// [DefaultReturnURL].
	ReturnURLFunc func(p payment.Payment) string
	// Banks lists the banks shown on the bank-card tab, in order. When it is
	// empty the bank choice is hidden and any card number is sent on.
	Banks []BankOption
	// Authenticate checks an account's email and password (counting
	// failures towards its lock-out) and returns the account id. When it is
	// nil the cashier offers no account payment.
	Authenticate func(ctx context.Context, email, password string) (accountID string, err error)
}

// DefaultReturnURL is the payment's return_url with payment_id and status
// added to its query, unsigned; "" when the payment has no return_url.
func DefaultReturnURL(p payment.Payment) string {
	if p.ReturnURL == "" {
		return ""
	}
	u, err := url.Parse(p.ReturnURL)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("payment_id", p.ID)
	q.Set("status", string(p.Status))
	u.RawQuery = q.Encode()
	return u.String()
}

// Handler serves the cashier pages; see routes.go for its routes.
type Handler struct {
	payments  Payments
	log       *slog.Logger
	clock     clock.Clock
	returnURL func(p payment.Payment) string
	banks     []BankOption
	authn     func(ctx context.Context, email, password string) (string, error)
	pages     *ui.Pages
	assets    *ui.Assets
	mux       *http.ServeMux
}

// New returns the cashier's handler. It serves every route under /pay/ (see
// routes.go) and can be mounted as is on the server's mux:
//
//	mux.Handle("/pay/", cashier.New(deps))
func New(d Deps) *Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	if d.ReturnURLFunc == nil {
		d.ReturnURLFunc = DefaultReturnURL
	}
	h := &Handler{
		payments:  d.Payments,
		log:       d.Logger,
		clock:     d.Clock,
		returnURL: d.ReturnURLFunc,
		banks:     d.Banks,
		authn:     d.Authenticate,
		assets:    ui.MustLoadAssets(files, "assets", assetPrefix),
		mux:       http.NewServeMux(),
	}
	h.pages = ui.MustParsePages(files, h.assets, pageNames...)
	h.routes()
	return h
}

// ServeHTTP implements [http.Handler].
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}
