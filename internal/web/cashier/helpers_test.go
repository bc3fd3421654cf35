package cashier_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"paygate/internal/banksim"
	"paygate/internal/clock"
	"paygate/internal/db/dbtest"
	"paygate/internal/merchant"
	"paygate/internal/payment"
	"paygate/internal/payment/paymenttest"
	"paygate/internal/web/cashier"
	"paygate/internal/web/webtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const (
	cardOK       = "6222020000000000018"
	cardNoFunds  = "6222020000000000026"
	cardWrongPIN = "6222020000000000034"
	cardSilent   = "6222020000000000042"
	cardLimit    = "6222020000000000059"
	cmbOK        = "6214830000000000015"
	cmbDecline   = "6214830000000000023"
)

// banks are the cashier's bank choices in the tests.
var banks = []cashier.BankOption{
	{Code: "icbc", NameZH: "中国工商银行", NameEN: "ICBC", Prefixes: []string{"622202"}},
	{Code: "cmb", NameZH: "招商银行", NameEN: "China Merchants Bank", Prefixes: []string{"621483"}},
}

// testBundle is a cashier over the real back end: the bank simulator on
// loopback TCP, connectors, the bank-card channel, the ledger and the
// payment service on a fresh SQLite database.
type testBundle struct {
	svc    *payment.Service
	sim    *banksim.Host
	mch    merchant.Merchant
	clock  *clock.Fake
	srv    *httptest.Server
	logBuf *webtest.SyncBuffer
	env    *paymenttest.Env
}

func newTestBundle(t *testing.T) *testBundle {
	t.Helper()
	e := paymenttest.New(t, dbtest.NewSQLite(t))
	b := &testBundle{svc: e.Service, sim: e.Sim, mch: e.Merchant, clock: e.Clock, logBuf: &webtest.SyncBuffer{}, env: e}
	h := cashier.New(cashier.Deps{
		Payments: e.Service,
		Logger:   slog.New(slog.NewTextHandler(b.logBuf, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Clock:    b.clock,
		Banks:    banks,
	})
	b.srv = httptest.NewServer(h)
	t.Cleanup(b.srv.Close)
	return b
}

// create opens a payment of amount fen with return URL ret ("" for none).
func (b *testBundle) create(t *testing.T, orderNo string, amount int64, ret string) payment.Payment {
	t.Helper()
	return b.env.Create(t, orderNo, amount, ret)
}

// client does not follow redirects, so tests see them.
var client = webtest.NewClient(nil)

func (b *testBundle) do(t *testing.T, req *http.Request) webtest.Response {
	t.Helper()
	return webtest.Do(t, client, req)
}

func (b *testBundle) get(t *testing.T, path string, header ...string) webtest.Response {
	t.Helper()
	return webtest.Get(t, client, b.srv.URL+path, header...)
}

// pay posts the card form as a same-origin browser would.
func (b *testBundle) pay(t *testing.T, paymentID, lang string, form url.Values, header ...string) webtest.Response {
	t.Helper()
	return webtest.PostForm(t, client, b.srv.URL+"/pay/"+paymentID+"/card?lang="+lang, form, header...)
}

func cardForm(pan, pin string) url.Values {
	return url.Values{"bank": {"icbc"}, "card_no": {pan}, "pin": {pin}, "email": {"payer@example.com"}}
}

func (b *testBundle) attempts(t *testing.T, paymentID string) []payment.Attempt {
	t.Helper()
	atts, err := b.svc.Attempts(context.Background(), paymentID)
	if err != nil {
		t.Fatal(err)
	}
	return atts
}

func (b *testBundle) status(t *testing.T, paymentID string) payment.Status {
	t.Helper()
	p, err := b.svc.Lookup(context.Background(), paymentID)
	if err != nil {
		t.Fatal(err)
	}
	return p.Status
}
