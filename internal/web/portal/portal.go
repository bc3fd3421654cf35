package portal

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"paygate/internal/auth"
	"paygate/internal/batchrefund"
	"paygate/internal/clock"
	"paygate/internal/merchant"
	"paygate/internal/money"
	"paygate/internal/notify"
	"paygate/internal/payment"
	"paygate/internal/staff"
	"paygate/internal/web/ui"
)

// Staff is what the portal needs of the staff service (*staff.Service).
type Staff interface {
	// Login checks an email and password, with lock-out.
	Login(ctx context.Context, email, password string) (staff.Member, error)
	// Get returns a staff member; [staff.ErrNotFound] if there is none.
	Get(ctx context.Context, staffID string) (staff.Member, error)
}

var _ Staff = (*staff.Service)(nil)

// Payments is what the portal needs of the payment service
// (*payment.Service). Every method is scoped to a merchant, except
// Attempts and ProcessRefund, which take ids the portal got from a scoped
// call.
type Payments interface {
	Search(ctx context.Context, merchantID string, f payment.SearchFilter) ([]payment.Payment, string, error)
	PaidMethods(ctx context.Context, merchantID string, ids []string) (map[string]string, error)
	Get(ctx context.Context, merchantID, paymentID string) (payment.Payment, error)
	Attempts(ctx context.Context, paymentID string) ([]payment.Attempt, error)
	Refunds(ctx context.Context, merchantID, paymentID string) ([]payment.Refund, error)
	Refundable(ctx context.Context, p payment.Payment) (left money.Amount, windowOpen bool, err error)
	CreateRefund(ctx context.Context, p payment.RefundParams) (payment.Refund, error)
	ProcessRefund(ctx context.Context, refundID string) (payment.Refund, error)
}

var _ Payments = (*payment.Service)(nil)

// Notifications is what the portal needs of the notification outbox
// (*notify.Outbox).
type Notifications interface {
	// ForObject lists the merchant's events that mention an object.
	ForObject(ctx context.Context, merchantID, objectID string, since time.Time, limit int) ([]notify.Notification, error)
	// ResendFor makes the merchant's event due again.
	ResendFor(ctx context.Context, merchantID, eventID string) error
}

var _ Notifications = (*notify.Outbox)(nil)

// Merchants is what the portal needs of the merchant store
// (*merchant.Store).
type Merchants interface {
	Get(ctx context.Context, merchantID string) (merchant.Merchant, error)
	ListKeys(ctx context.Context, merchantID string) ([]merchant.Key, error)
	AddKey(ctx context.Context, merchantID string, pemData []byte) (merchant.Key, error)
	SetNotifyURL(ctx context.Context, merchantID, notifyURL string) (merchant.Merchant, error)
}

var _ Merchants = (*merchant.Store)(nil)

// Batches is what the portal needs of the refund sheets
// (*batchrefund.Service).
type Batches interface {
	Validate(ctx context.Context, merchantID, fileName string, data []byte) (batchrefund.Batch, []batchrefund.Line, error)
	Queue(ctx context.Context, merchantID, batchID string) (batchrefund.Batch, error)
	Discard(ctx context.Context, merchantID, batchID string) error
	Get(ctx context.Context, merchantID, batchID string) (batchrefund.Batch, []batchrefund.Line, error)
	List(ctx context.Context, merchantID string, limit int) ([]batchrefund.Batch, error)
	Results(ctx context.Context, merchantID, batchID, format string) (data []byte, contentType string, err error)
}

var _ Batches = (*batchrefund.Service)(nil)

// Sessions is what the portal needs of its session manager (an
// *scs.SessionManager from [NewSessions]).
type Sessions interface {
	// LoadAndSave is the middleware that loads and saves the session.
	LoadAndSave(next http.Handler) http.Handler
	// RenewToken gives the session a new token (at log-in: no fixation).
	RenewToken(ctx context.Context) error
	// Destroy ends the session (log-out).
	Destroy(ctx context.Context) error
	// GetString, PopString and Put read, take and store session values.
	GetString(ctx context.Context, key string) string
	PopString(ctx context.Context, key string) string
	Put(ctx context.Context, key string, val any)
}

// Deps are what the portal needs. Every field but the options at the end
// is required.
type Deps struct {
	Staff         Staff
	Payments      Payments
	Notifications Notifications
	Merchants     Merchants
	Batches       Batches
	// Sessions is the portal's own session manager ([NewSessions]):
	// its cookie is not the account pages'.
	Sessions Sessions
	// GatewayKeys lists the gateway's public keys
	// ((*auth.GatewayKeys).PublicKeys).
	GatewayKeys func() []auth.PublicKeyInfo

	Currency money.Currency // of amounts typed in filters (default CNY)
	Logger   *slog.Logger   // default: discard
	Clock    clock.Clock    // default: the system clock
	// Location is where dates are read and times shown (default China
	// Standard Time, UTC+8): a date filter covers whole local days.
	Location *time.Location
	// MaxUploadBytes bounds an uploaded refund sheet (default
	// batchrefund.DefaultMaxBytes).
	MaxUploadBytes int64
	// MaxExportRows bounds an export (default 50,000): a larger result
	// asks for a narrower filter.
	MaxExportRows int
}

// Handler serves the portal; see routes.go for its routes.
type Handler struct {
	d       Deps
	log     *slog.Logger
	loc     *time.Location
	pages   *ui.Pages
	assets  *ui.Assets
	forms   *ui.FormTokens
	handler http.Handler
}

// New returns the portal's handler. It serves every route under /portal/
// and is mounted as is:
//
//	mux.Handle("/portal/", portal.New(deps))
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
	if d.MaxUploadBytes <= 0 {
		d.MaxUploadBytes = batchrefund.DefaultMaxBytes
	}
	if d.MaxExportRows <= 0 {
		d.MaxExportRows = 50_000
	}
	h := &Handler{d: d, log: d.Logger, loc: d.Location, assets: ui.MustLoadAssets(files, "assets", assetPrefix)}
	h.pages = ui.MustParsePages(files, h.assets, pageNames...)
	h.forms = &ui.FormTokens{
		Session: d.Sessions, Logger: d.Logger, MaxBytes: maxFormBytes,
		// The sheet upload is the only multipart form; its file is the
		// bulk of the body.
		MaxMultipartBytes: d.MaxUploadBytes + maxFormBytes,
		MayUpload:         func(r *http.Request) bool { return d.Sessions.GetString(r.Context(), keyStaff) != "" },
		Refuse:            http.HandlerFunc(h.refuseForm),
		BadForm:           http.HandlerFunc(h.badForm),
	}
	h.handler = h.routes()
	return h
}

// ServeHTTP implements [http.Handler].
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.handler.ServeHTTP(w, r)
}

// maxFormBytes bounds every url-encoded form (a PEM key is the largest).
const maxFormBytes = 64 << 10
