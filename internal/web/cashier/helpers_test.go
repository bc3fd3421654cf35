package cashier_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"paygate/internal/banksim"
	"paygate/internal/clock"
	"paygate/internal/db/dbtest"
	"paygate/internal/merchant"
	"paygate/internal/payment"
	"paygate/internal/payment/paymenttest"
	"paygate/internal/web/cashier"
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
	logBuf *syncBuffer
	env    *paymenttest.Env
}

// syncBuffer collects the cashier's log lines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newTestBundle(t *testing.T) *testBundle {
	t.Helper()
	e := paymenttest.New(t, dbtest.NewSQLite(t))
	b := &testBundle{svc: e.Service, sim: e.Sim, mch: e.Merchant, clock: e.Clock, logBuf: &syncBuffer{}, env: e}
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

// response is a finished HTTP exchange.
type response struct {
	status   int
	header   http.Header
	body     string
	location string
}

// client does not follow redirects, so tests see them.
var client = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       30 * time.Second,
}

func (b *testBundle) do(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(body), location: res.Header.Get("Location")}
}

func (b *testBundle) get(t *testing.T, path string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(t, req)
}

// pay posts the card form as a same-origin browser would.
func (b *testBundle) pay(t *testing.T, paymentID, lang string, form url.Values, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+"/pay/"+paymentID+"/card?lang="+lang, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(t, req)
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

// mustContain fails unless body holds every want.
func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: missing %q in:\n%s", what, w, excerpt(body))
		}
	}
}

func mustNotContain(t *testing.T, what, body string, bad ...string) {
	t.Helper()
	for _, w := range bad {
		if strings.Contains(body, w) {
			t.Errorf("%s: must not contain %q", what, w)
		}
	}
}

// excerpt is the page's main element, for failure messages.
func excerpt(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	if j := strings.Index(body, "</main>"); j >= 0 {
		body = body[:j]
	}
	return body
}
