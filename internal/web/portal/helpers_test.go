package portal_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"paygate/internal/account"
	"paygate/internal/auth"
	"paygate/internal/batchrefund"
	"paygate/internal/channel"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/id"
	"paygate/internal/merchant"
	"paygate/internal/money"
	"paygate/internal/notify"
	"paygate/internal/payment"
	"paygate/internal/payment/paymenttest"
	"paygate/internal/payment/refundworker"
	"paygate/internal/staff"
	"paygate/internal/web"
	"paygate/internal/web/portal"
	"paygate/internal/web/webtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// The test cards (DESIGN §5).
const (
	cardOK  = paymenttest.CardOK
	goodPIN = "123456"
)

// password is every test staff member's.
const password = "tea-shop Portal 7"

// testArgon2 keeps hashing cheap in tests; production uses the default.
var testArgon2 = argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// testBundle is the portal over the real back end: payments through the
// bank simulator, refunds and their worker, refund sheets, the
// notification outbox, staff, sessions, on d, behind a real HTTP server.
// Merchant A is env.Merchant; merchant B is other.
type testBundle struct {
	db        *db.DB
	env       *paymenttest.Env
	merchants *merchant.Store
	staff     *staff.Service
	outbox    *notify.Outbox
	batches   *batchrefund.Service
	worker    *refundworker.Worker
	other     merchant.Merchant
	srv       *httptest.Server
	logs      *webtest.SyncBuffer
	gwKeys    *auth.GatewayKeys
	handler   *portal.Handler
}

func newTestBundle(t *testing.T, d *db.DB) *testBundle {
	t.Helper()
	ctx := context.Background()
	env := paymenttest.New(t, d)
	ids := id.NewGenerator(nil, nil)
	b := &testBundle{db: d, env: env, merchants: merchant.NewStore(d, ids), outbox: notify.NewOutbox(d, ids), logs: &webtest.SyncBuffer{}}
	var err error
	if b.other, err = b.merchants.Create(ctx, "Other Shop", "https://other.example/notify", merchant.FeePlan{RateBps: 60}); err != nil {
		t.Fatal(err)
	}
	p := testArgon2
	b.staff = staff.NewService(d, staff.Options{Argon2: &p, IDs: ids})
	b.worker = refundworker.New(env.Service, refundworker.Options{PollInterval: 50 * time.Millisecond})
	if err := b.worker.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.worker.Stop)
	b.batches = batchrefund.New(d, env.Service, batchrefund.Options{IDs: ids, WakeFunc: b.worker.Wake})
	t.Cleanup(b.batches.Close)
	if b.gwKeys, err = auth.LoadOrCreateGatewayKeys(t.TempDir(), auth.ED25519, auth.KeyOptions{}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b.handler = portal.New(portal.Deps{
		Staff: b.staff, Payments: env.Service, Notifications: b.outbox, Merchants: b.merchants, Batches: b.batches,
		Sessions:    portal.NewSessions(account.NewSessionStore(d, nil), false),
		GatewayKeys: b.gwKeys.PublicKeys, Logger: log,
	})
	b.srv = httptest.NewServer(web.NewHandler(web.Deps{Logger: log, DB: d, Mount: []func(*http.ServeMux){
		func(mux *http.ServeMux) { mux.Handle("/portal/", b.handler) }}}))
	t.Cleanup(b.srv.Close)
	return b
}

// newStaff creates a staff member of merchantID.
func (b *testBundle) newStaff(t *testing.T, merchantID, email string, role staff.Role) staff.Member {
	t.Helper()
	m, err := b.staff.Create(context.Background(), merchantID, email, password, role)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// paid makes a succeeded card payment of merchantID for amount fen.
func (b *testBundle) paid(t *testing.T, merchantID, orderNo string, amount int64) payment.Payment {
	t.Helper()
	ctx := context.Background()
	p, err := b.env.Service.Create(ctx, payment.CreateParams{MerchantID: merchantID, MerchantOrderNo: orderNo,
		Amount: money.New(amount, money.CNY), Subject: "一壶茶 tea"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.env.Service.PayByCard(ctx, p.ID, channel.Card{PAN: cardOK, PIN: goodPIN})
	if err != nil || r.Payment.Status != payment.Succeeded {
		t.Fatalf("paying %s: %+v, %v", orderNo, r.Payment, err)
	}
	return r.Payment
}

// paidMany makes n succeeded card payments of merchantID, order numbers
// prefix-00001…, of amount(i) fen, a few at a time.
func (b *testBundle) paidMany(t *testing.T, merchantID, prefix string, n int, amount func(i int) int64) []payment.Payment {
	t.Helper()
	out := make([]payment.Payment, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i] = b.paid(t, merchantID, fmt.Sprintf("%s-%05d", prefix, i+1), amount(i))
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return out
}

// created opens an unpaid payment of merchantID.
func (b *testBundle) created(t *testing.T, merchantID, orderNo string, amount int64) payment.Payment {
	t.Helper()
	p, err := b.env.Service.Create(context.Background(), payment.CreateParams{MerchantID: merchantID, MerchantOrderNo: orderNo,
		Amount: money.New(amount, money.CNY), Subject: "一壶茶 tea"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// user is one browser: its own cookie jar, redirects not followed.
type user struct {
	b *testBundle
	c *http.Client
}

func (b *testBundle) newUser(t *testing.T) *user {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &user{b: b, c: webtest.NewClient(jar)}
}

// login logs a new browser in as email.
func (b *testBundle) login(t *testing.T, email string) *user {
	t.Helper()
	u := b.newUser(t)
	res := u.submit(t, "/portal/login?lang=en", "/portal/login?lang=en", url.Values{"email": {email}, "password": {password}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("log-in as %s: %d\n%s", email, res.Status, webtest.Excerpt(res.Body))
	}
	return u
}

func (u *user) get(t *testing.T, path string) webtest.Response {
	t.Helper()
	return webtest.Get(t, u.c, u.b.srv.URL+path)
}

// post sends form to path as a same-origin browser would; header adds or
// replaces headers.
func (u *user) post(t *testing.T, path string, form url.Values, header ...string) webtest.Response {
	t.Helper()
	return webtest.PostForm(t, u.c, u.b.srv.URL+path, form, header...)
}

// submit opens page, fills its hidden fields into form, and posts it to
// action ([webtest.Submit]).
func (u *user) submit(t *testing.T, page, action string, form url.Values) webtest.Response {
	t.Helper()
	return webtest.Submit(t, u.c, u.b.srv.URL, page, action, form)
}

// token is this browser's form token.
func (u *user) token(t *testing.T) string {
	t.Helper()
	tok := webtest.Hidden(u.get(t, "/portal/payments?lang=en").Body).Get("csrf_token")
	if tok == "" {
		t.Fatal("no form token")
	}
	return tok
}

func wantStatus(t *testing.T, what string, res webtest.Response, status int) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, res.Status, status, webtest.Excerpt(res.Body))
	}
}

// snapshot is the state a refused request must not change: refunds,
// refund sheets, keys, notify URLs, the ledger's balances and the
// notification events' states.
func (b *testBundle) snapshot(t *testing.T) string {
	t.Helper()
	var out strings.Builder
	for _, q := range []string{
		`SELECT id, status, amount_minor FROM refunds ORDER BY id`,
		`SELECT id, state FROM refund_batches ORDER BY id`,
		`SELECT id, merchant_id FROM merchant_keys ORDER BY id`,
		`SELECT id, notify_url FROM merchants ORDER BY id`,
		`SELECT name, balance_minor FROM ledger_accounts ORDER BY name`,
		`SELECT id, state, next_attempt_ms FROM notify_events ORDER BY id`,
		`SELECT id, refunded_minor, refunding_minor FROM payments ORDER BY id`,
	} {
		rows, err := b.db.Query(context.Background(), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&out, vals...)
		}
		rows.Close()
	}
	return out.String()
}

// event enqueues a payment.succeeded notification of merchantID about
// paymentID, as the payment service does, and returns its id.
func (b *testBundle) event(t *testing.T, merchantID, paymentID string) string {
	t.Helper()
	ctx := context.Background()
	var evt string
	err := b.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		evt, err = b.outbox.Enqueue(ctx, tx, notify.Event{MerchantID: merchantID, Type: "payment.succeeded",
			URL: "http://127.0.0.1:1/notify", Data: map[string]any{"id": paymentID, "status": "succeeded"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return evt
}

// keepClockMoving advances the payment service's fake clock by a minute
// every 200 ms, so that refunds waiting out a retry delay fall due, until
// the returned function is called.
func (b *testBundle) keepClockMoving() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				b.env.Clock.Advance(time.Minute)
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
