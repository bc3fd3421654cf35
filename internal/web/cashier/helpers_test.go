package cashier_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"paygate/internal/bank"
	"paygate/internal/bank/hsm"
	"paygate/internal/bank/iso8583"
	"paygate/internal/banksim"
	"paygate/internal/channel"
	"paygate/internal/channel/bankcard"
	"paygate/internal/clock"
	"paygate/internal/db/dbtest"
	"paygate/internal/id"
	"paygate/internal/ledger"
	"paygate/internal/merchant"
	"paygate/internal/money"
	"paygate/internal/payment"
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
	ctx := context.Background()
	d := dbtest.NewSQLite(t)
	b := &testBundle{clock: clock.NewFake(time.Now()), logBuf: &syncBuffer{}}
	var (
		simBanks []banksim.BankConfig
		zmks     = map[string]hsm.Key{}
	)
	for _, name := range []string{"icbc", "cmb"} {
		k, err := hsm.NewKey(hsm.TDES2, nil)
		if err != nil {
			t.Fatal(err)
		}
		dl, _ := iso8583.Lookup(name)
		zmks[name] = k
		simBanks = append(simBanks, banksim.BankConfig{Name: name, Dialect: dl, Addr: "127.0.0.1:0", ZMK: k, MAC: hsm.AlgX919})
	}
	sim, err := banksim.New(ctx, filepath.Join(t.TempDir(), "bank.db"), simBanks, banksim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Stop)
	b.sim = sim

	ids := id.NewGenerator(nil, nil)
	ms := merchant.NewStore(d, ids)
	if b.mch, err = ms.Create(ctx, "Demo Shop", "http://127.0.0.1:1/notify", merchant.FeePlan{RateBps: 60, MinMinor: 1}); err != nil {
		t.Fatal(err)
	}
	var routes []bankcard.Route
	var svc *payment.Service
	for _, name := range []string{"icbc", "cmb"} {
		dl, _ := iso8583.Lookup(name)
		c, err := bank.New(bank.Config{
			Name: name, Dialect: dl, Addr: sim.Addr(name), AcquirerID: "48020000", MerchantID: "PAYGATE00000001",
			TerminalID: "PG000001", ZMK: zmks[name], MAC: hsm.AlgX919,
			RequestTimeout: 300 * time.Millisecond, ReversalRetry: 50 * time.Millisecond, ReversalRetryMax: 200 * time.Millisecond,
		}, d, bank.Options{OnReversedFunc: func(r bank.Reversal) {
			if err := svc.Reversed(context.Background(), r.ID, r.ClientRef); err != nil {
				t.Errorf("Reversed: %v", err)
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Stop)
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := c.WaitReady(wctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		prefix := map[string]string{"icbc": "622202", "cmb": "621483"}[name]
		routes = append(routes, bankcard.Route{Prefix: prefix, Connector: c})
	}
	svc = payment.NewService(d, ledger.New(d, ids), ms, []channel.Channel{bankcard.New(routes...)}, payment.Options{
		Clock: b.clock, IDs: ids,
	})
	b.svc = svc
	h := cashier.New(cashier.Deps{
		Payments: svc,
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
	p, err := b.svc.Create(context.Background(), payment.CreateParams{MerchantID: b.mch.ID, MerchantOrderNo: orderNo,
		Amount: money.New(amount, money.CNY), Subject: "一杯咖啡 coffee", ReturnURL: ret})
	if err != nil {
		t.Fatal(err)
	}
	return p
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
