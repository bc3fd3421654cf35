package accountweb

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"paygate/internal/account"
	"paygate/internal/channel"
	"paygate/internal/clock"
	"paygate/internal/ledger"
	"paygate/internal/money"
	"paygate/internal/wallet"
	"paygate/internal/web/ui"
)

// Accounts is what the pages need from the account service
// (*account.Service implements it).
type Accounts interface {
	// Register creates a pending account and mails its activation link.
	Register(ctx context.Context, email, password string, kind account.Kind, company string) (account.Account, error)
	// Activate uses an activation link's token with the password chosen
	// at registration.
	Activate(ctx context.Context, token, password string) (account.Account, error)
	// Login checks a password, counting failures towards the lock-out.
	Login(ctx context.Context, email, password string) (account.Account, error)
	// RequestReset mails a reset link if the address has an account.
	RequestReset(ctx context.Context, email string) error
	// Reset uses a reset link's token to set a new password and ends the
	// account's sessions.
	Reset(ctx context.Context, token, newPassword string) (account.Account, error)
	// Get returns an account; [account.ErrNotFound] if there is none.
	Get(ctx context.Context, id string) (account.Account, error)
}

var _ Accounts = (*account.Service)(nil)

// Sessions is what the pages need from the session manager
// (*account.SessionManager implements it).
type Sessions interface {
	// LoadAndSave is the scs middleware that loads and saves the session.
	LoadAndSave(next http.Handler) http.Handler
	// SessionAccount is the id of the account logged in, or "".
	SessionAccount(ctx context.Context) string
	// SessionLogin is when the session was logged in; ok is false if it
	// does not say.
	SessionLogin(ctx context.Context) (at time.Time, ok bool)
	// SetSessionAccount logs an account in under a new session token.
	SetSessionAccount(ctx context.Context, accountID string) error
	// ClearSessionAccount destroys the session.
	ClearSessionAccount(ctx context.Context) error
	// GetString, PopString and Put read, take and store session values
	// (the form token, a message for the next page).
	GetString(ctx context.Context, key string) string
	PopString(ctx context.Context, key string) string
	Put(ctx context.Context, key string, val any)
}

var _ Sessions = (*account.SessionManager)(nil)

// Wallet is what the pages need from the wallet, bound to the bank-card
// channel: [NewWallet] makes it from *wallet.Wallet and the ledger.
type Wallet interface {
	// Balance is the account's balance in cur (zero if it never held any).
	Balance(ctx context.Context, accountID string, cur money.Currency) (money.Amount, error)
	// Send is [wallet.Wallet.Send].
	Send(ctx context.Context, fromAccount, toEmail string, amount money.Amount, note, key string) (wallet.Sent, error)
	// TopUp is [wallet.Wallet.TopUpFromCard] on the bank-card channel;
	// key is the form's idempotency key.
	TopUp(ctx context.Context, accountID string, card channel.Card, amount money.Amount, key string) (wallet.TopUp, error)
	// Withdraw is [wallet.Wallet.Withdraw] on the bank-card channel; key
	// is the form's idempotency key.
	Withdraw(ctx context.Context, accountID string, card channel.Card, amount money.Amount, key string) (wallet.Withdrawal, error)
	// History is [ledger.Ledger.Search] on the account's balance in cur;
	// an account that never held money may answer an empty page or
	// [ledger.ErrAccountNotFound].
	History(ctx context.Context, accountID string, cur money.Currency, f ledger.HistoryFilter) (ledger.Page, error)
	// Claims is [wallet.Wallet.Claims]: what the account sent that is held
	// for an address, claimed or returned, newest first.
	Claims(ctx context.Context, fromAccount string) ([]wallet.Claim, error)
}

// NewWallet returns the wallet bound to the bank-card channel card, its
// history from the ledger l: TopUp is [wallet.Wallet.TopUpFromCard] and
// Withdraw is [wallet.Wallet.Withdraw] on card, and History searches the
// ledger account [wallet.Account](accountID, cur).
func NewWallet(w *wallet.Wallet, l *ledger.Ledger, card channel.Channel) Wallet {
	return cardWallet{w: w, l: l, card: card}
}

// cardWallet is the [Wallet] of [NewWallet].
type cardWallet struct {
	w    *wallet.Wallet
	l    *ledger.Ledger
	card channel.Channel
}

func (c cardWallet) Balance(ctx context.Context, accountID string, cur money.Currency) (money.Amount, error) {
	return c.w.Balance(ctx, accountID, cur)
}

func (c cardWallet) Send(ctx context.Context, from, to string, amt money.Amount, note, key string) (wallet.Sent, error) {
	return c.w.Send(ctx, from, to, amt, note, key)
}

func (c cardWallet) TopUp(ctx context.Context, accountID string, card channel.Card, amt money.Amount, key string) (wallet.TopUp, error) {
	return c.w.TopUpFromCard(ctx, c.card, accountID, card, amt, key)
}

func (c cardWallet) Withdraw(ctx context.Context, accountID string, card channel.Card, amt money.Amount, key string) (wallet.Withdrawal, error) {
	return c.w.Withdraw(ctx, c.card, accountID, card, amt, key)
}

func (c cardWallet) History(ctx context.Context, accountID string, cur money.Currency, f ledger.HistoryFilter) (ledger.Page, error) {
	return c.l.Search(ctx, wallet.Account(accountID, cur), f)
}

func (c cardWallet) Claims(ctx context.Context, fromAccount string) ([]wallet.Claim, error) {
	return c.w.Claims(ctx, fromAccount)
}

// Deps are what the pages need. Accounts, Sessions and Wallet are required.
type Deps struct {
	Accounts Accounts
	// Sessions is the session manager, configured by its owner (secure
	// cookies in production: account.NewSessionManager(store, true)).
	Sessions Sessions
	Wallet   Wallet
	Currency money.Currency // of the balance shown and moved (default CNY)
	Logger   *slog.Logger   // default: discard
	Clock    clock.Clock    // default: the system clock
	// Location is where dates are read and times shown (default China
	// Standard Time, UTC+8): a date filter covers whole local days.
	Location *time.Location
}

// Handler serves the account pages; see routes.go for its routes.
type Handler struct {
	accounts Accounts
	sessions Sessions
	wallet   Wallet
	cur      money.Currency
	log      *slog.Logger
	clock    clock.Clock
	loc      *time.Location
	pages    *ui.Pages
	assets   *ui.Assets
	forms    *ui.FormTokens
	handler  http.Handler
}

// New returns the account pages' handler. It serves every route under
// /account/ (see routes.go) and is mounted as is on the server's mux:
//
//	mux.Handle("/account/", accountweb.New(deps))
func New(d Deps) *Handler {
	if d.Currency == "" {
		d.Currency = money.CNY
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	if d.Location == nil {
		d.Location = ui.ChinaTime
	}
	h := &Handler{
		accounts: d.Accounts,
		sessions: d.Sessions,
		wallet:   d.Wallet,
		cur:      d.Currency,
		log:      d.Logger,
		clock:    d.Clock,
		loc:      d.Location,
		assets:   ui.MustLoadAssets(files, "assets", assetPrefix),
	}
	h.pages = ui.MustParsePages(files, h.assets, pageNames...)
	h.forms = h.newFormTokens()
	h.handler = h.routes()
	return h
}

// ServeHTTP implements [http.Handler].
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.handler.ServeHTTP(w, r)
}
