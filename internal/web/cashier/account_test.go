package cashier_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/alexedwards/argon2id"

	"paygate/internal/account"
	"paygate/internal/channel/balance"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/ledger"
	"paygate/internal/money"
	"paygate/internal/payment"
	"paygate/internal/payment/paymenttest"
	"paygate/internal/wallet"
	"paygate/internal/web/cashier"
	"paygate/internal/web/webtest"
)

// fastArgon2 keeps password hashing cheap in tests.
var fastArgon2 = argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// links captures the links the account service mails.
type links struct {
	mu   sync.Mutex
	last string
}

var linkRE = regexp.MustCompile(`token=[A-Za-z0-9_\-]+`)

func (l *links) Send(_ context.Context, _ *db.Tx, _, _, text, _, _ string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last = strings.TrimPrefix(linkRE.FindString(text), "token=")
	return nil
}

// newAccountBundle is a cashier that also takes account payments, with one
// active account "payer@example.com" holding balance fen.
func newAccountBundle(t *testing.T, balanceMinor int64) (*testBundle, *wallet.Wallet, string) {
	t.Helper()
	ctx := context.Background()
	d := dbtest.NewSQLite(t)
	e := paymenttest.New(t, d)
	mail := &links{}
	accts := account.NewService(d, mail, account.Options{BaseURL: "http://gateway.test", Argon2: &fastArgon2})
	w := wallet.New(d, e.Ledger, func(ctx context.Context, tx *db.Tx, email string) (wallet.Recipient, error) {
		a, err := account.ActiveByEmailTx(ctx, tx, email)
		return wallet.Recipient{AccountID: a.ID}, err
	}, wallet.Options{})
	e.AddChannels(balance.New(w, wallet.Limits{PerPayment: 2_000_00}))
	a, err := accts.Register(ctx, "payer@example.com", "correct horse 1", account.Personal, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accts.Activate(ctx, mail.last, "correct horse 1"); err != nil {
		t.Fatal(err)
	}
	err = d.InTx(ctx, func(tx *db.Tx) error {
		if _, err := e.Ledger.OpenAccount(ctx, tx, ledger.AccountSpec{Name: "bank:icbc:clearing:CNY", Currency: money.CNY, AllowNegative: true}); err != nil {
			return err
		}
		return w.FundTx(ctx, tx, a.ID, "bank:icbc:clearing:CNY", money.New(balanceMinor, money.CNY), "test:fund")
	})
	if err != nil {
		t.Fatal(err)
	}
	b := &testBundle{svc: e.Service, sim: e.Sim, mch: e.Merchant, clock: e.Clock, logBuf: &webtest.SyncBuffer{}, env: e}
	h := cashier.New(cashier.Deps{
		Payments: e.Service, Clock: b.clock, Banks: banks,
		Logger: slog.New(slog.NewTextHandler(b.logBuf, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Authenticate: func(ctx context.Context, email, password string) (string, error) {
			a, err := accts.Login(ctx, email, password)
			return a.ID, err
		},
	})
	b.srv = httptest.NewServer(h)
	t.Cleanup(b.srv.Close)
	return b, w, a.ID
}

func (b *testBundle) payFromAccount(t *testing.T, paymentID, lang, email, password string) webtest.Response {
	t.Helper()
	form := url.Values{"account_email": {email}, "password": {password}}
	return webtest.PostForm(t, client, b.srv.URL+"/pay/"+paymentID+"/account?lang="+lang, form)
}

// TestPayFromAccountOnCashier: the account tab logs in and pays from the
// balance; every refusal (wrong password, missing fields, balance too low,
// over the per-payment limit) shows its reason on the form and changes
// nothing; the password never comes back in a page or the log.
func TestPayFromAccountOnCashier(t *testing.T) {
	t.Parallel()
	b, w, acct := newAccountBundle(t, 1_500_00)
	ctx := context.Background()

	p := b.create(t, "acct-1", 1_200_00, "")
	page := b.get(t, "/pay/"+p.ID+"?lang=en&method=account")
	webtest.MustContain(t, "account tab", page.Body, `id="panel-account"`, "Pay ¥1,200.00 from balance", `method=account`)
	webtest.MustNotContain(t, "account tab", page.Body, `id="panel-bankcard"`)

	refusals := []struct {
		name, lang, email, password string
		amount                      int64
		status                      int
		want                        string
	}{
		{"wrong password", "en", "payer@example.com", "wrong password 1", 1_200_00, http.StatusUnauthorized, "The email or password is incorrect."},
		{"missing password", "zh", "payer@example.com", "", 1_200_00, http.StatusBadRequest, "请输入账户邮箱和密码。"},
		{"unknown account", "zh", "nobody@example.com", "whatever pass 1", 1_200_00, http.StatusUnauthorized, "邮箱或密码不正确。"},
		{"balance too low", "en", "PAYER@example.com", "correct horse 1", 1_600_00, http.StatusUnprocessableEntity, "The balance is not enough"},
		{"over the limit", "zh", "payer@example.com", "correct horse 1", 2_000_01, http.StatusUnprocessableEntity, "单笔限额"},
	}
	for i, rc := range refusals {
		q := b.create(t, "acct-refused-"+string(rune('a'+i)), rc.amount, "")
		res := b.payFromAccount(t, q.ID, rc.lang, rc.email, rc.password)
		if res.Status != rc.status {
			t.Fatalf("%s: status %d, want %d\n%s", rc.name, res.Status, rc.status, webtest.Excerpt(res.Body))
		}
		webtest.MustContain(t, rc.name, res.Body, rc.want, `id="panel-account"`)
		if rc.password != "" {
			webtest.MustNotContain(t, rc.name, res.Body, rc.password)
		}
		if s := b.status(t, q.ID); s != payment.Created || len(b.attempts(t, q.ID)) != 0 {
			t.Fatalf("%s: payment %s with %d attempts", rc.name, s, len(b.attempts(t, q.ID)))
		}
	}
	if bal, _ := w.Balance(ctx, acct, money.CNY); bal.Minor() != 1_500_00 {
		t.Fatalf("balance after refusals %v", bal)
	}

	res := b.payFromAccount(t, p.ID, "en", "payer@example.com", "correct horse 1")
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/pay/"+p.ID) {
		t.Fatalf("pay: %d %q\n%s", res.Status, res.Location, webtest.Excerpt(res.Body))
	}
	receipt := b.get(t, res.Location)
	webtest.MustContain(t, "receipt", receipt.Body, "Payment successful", "Account balance")
	if bal, _ := w.Balance(ctx, acct, money.CNY); bal.Minor() != 300_00 {
		t.Fatalf("balance %v, want 300.00", bal)
	}
	var notified bool
	for _, ev := range b.env.Events() {
		notified = notified || (ev.Type == "payment.succeeded" && ev.Payment.ID == p.ID)
	}
	if !notified {
		t.Fatal("the merchant was not notified")
	}
	// Paying again is a no-op that shows the receipt.
	if again := b.payFromAccount(t, p.ID, "en", "payer@example.com", "correct horse 1"); again.Status != http.StatusSeeOther {
		t.Fatalf("second pay: %d", again.Status)
	}
	if bal, _ := w.Balance(ctx, acct, money.CNY); bal.Minor() != 300_00 {
		t.Fatalf("balance after a second post %v", bal)
	}
	webtest.MustNotContain(t, "log", b.logBuf.String(), "correct horse 1", "wrong password 1")
}
