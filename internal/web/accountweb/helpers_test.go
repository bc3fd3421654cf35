package accountweb_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"paygate/internal/account"
	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/id"
	"paygate/internal/ledger"
	"paygate/internal/mail"
	"paygate/internal/money"
	"paygate/internal/payment/paymenttest"
	"paygate/internal/wallet"
	"paygate/internal/web/accountweb"
	"paygate/internal/web/webtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// Test cards of the bank simulator (DESIGN §5).
const (
	cardOK      = "6222020000000000018"
	cardNoFunds = "6222020000000000026"
	goodPIN     = "123456"
	password    = "correct horse 1"
)

// testArgon2 keeps hashing cheap in tests; production uses the default.
var testArgon2 = argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// outboxMailer sends the account service's mail through the real outbox,
// in the caller's transaction.
type outboxMailer struct{ o *mail.Outbox }

func (m outboxMailer) Send(ctx context.Context, tx *db.Tx, to, subject, text, kind, ref string) error {
	_, err := m.o.Enqueue(ctx, tx, mail.Message{To: to, Subject: subject, Text: text, Kind: kind, Ref: ref})
	return err
}

// testBundle is the account pages over the real back end: accounts,
// sessions, wallet, ledger, mail outbox and the bank simulator, on d,
// behind a real HTTP server.
type testBundle struct {
	db       *db.DB
	accounts *account.Service
	wallet   *wallet.Wallet
	ledger   *ledger.Ledger
	env      *paymenttest.Env // the bank simulator and its channel
	outbox   *mail.Outbox
	clock    *clock.Fake // the account service's: link expiry, lock-out; the log-in stamps
	sessions *account.SessionStore
	srv      *httptest.Server
	logs     *webtest.SyncBuffer
}

func newTestBundle(t *testing.T, d *db.DB) *testBundle {
	t.Helper()
	ctx := context.Background()
	env := paymenttest.New(t, d)
	ids := id.NewGenerator(nil, nil)
	b := &testBundle{db: d, ledger: env.Ledger, env: env, outbox: mail.NewOutbox(d, ids), clock: clock.NewFake(time.Now()), logs: &webtest.SyncBuffer{}}
	var handler http.Handler
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(b.srv.Close)

	b.wallet = wallet.New(d, env.Ledger, func(ctx context.Context, tx *db.Tx, email string) (wallet.Recipient, error) {
		a, err := account.ActiveByEmailTx(ctx, tx, email)
		if errors.Is(err, account.ErrNotFound) {
			return wallet.Recipient{}, nil
		}
		return wallet.Recipient{AccountID: a.ID}, err
	}, wallet.Options{IDs: ids, Invite: func(ctx context.Context, tx *db.Tx, to string, c wallet.Claim) error {
		_, err := b.outbox.Enqueue(ctx, tx, mail.Message{To: to, Subject: "Money for you", Kind: "claim_invitation", Ref: c.ID,
			Text: fmt.Sprintf("You have %s waiting: sign up at %s/account/register", c.Amount.Format(), b.srv.URL)})
		return err
	}})
	reversed := func(ref string) {
		if _, err := b.wallet.Reversed(context.Background(), ref); err != nil {
			t.Errorf("wallet reversed %s: %v", ref, err)
		}
	}
	env.OnReversed.Store(&reversed)
	if err := env.Ledger.OpenAccounts(ctx, ledger.AccountSpec{Name: "world", Currency: money.CNY, AllowNegative: true}); err != nil {
		t.Fatal(err)
	}
	p := testArgon2
	b.accounts = account.NewService(d, outboxMailer{b.outbox}, account.Options{BaseURL: b.srv.URL, Clock: b.clock, IDs: ids,
		Argon2: &p, OnActivate: func(ctx context.Context, tx *db.Tx, a account.Account) error {
			_, err := b.wallet.ClaimAllTx(ctx, tx, a.ID, a.Email)
			return err
		}})
	b.sessions = account.NewSessionStore(d, nil)
	sm := account.NewSessionManager(b.sessions, false)
	sm.Clock = b.clock
	handler = accountweb.New(accountweb.Deps{
		Accounts: b.accounts,
		Sessions: sm,
		Wallet:   accountweb.NewWallet(b.wallet, env.Ledger, env.Channel),
		Logger:   slog.New(slog.NewTextHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	return b
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

func (u *user) do(t *testing.T, req *http.Request) webtest.Response {
	t.Helper()
	return webtest.Do(t, u.c, req)
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

// formToken returns this browser's form token, from the page at path.
func (u *user) formToken(t *testing.T, path string) string {
	t.Helper()
	tok := webtest.Hidden(u.get(t, path).Body).Get("csrf_token")
	if tok == "" {
		t.Fatalf("no form token on %s", path)
	}
	return tok
}

// cookie returns the session cookie's value in this browser.
func (u *user) cookie(t *testing.T) string {
	t.Helper()
	su, _ := url.Parse(u.b.srv.URL)
	for _, c := range u.c.Jar.Cookies(su) {
		if c.Name == account.SessionCookieName {
			return c.Value
		}
	}
	return ""
}

var linkRE = regexp.MustCompile(`(http://[^\s/]+)(/account/[a-z]+)\?token=([A-Za-z0-9_%-]+)`)

// link returns the path and query of the last mailed link of kind to addr.
func (b *testBundle) link(t *testing.T, to, kind string) string {
	t.Helper()
	mails, err := b.outbox.List(context.Background(), mail.ListParams{To: to})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mails { // newest first
		if m.Kind != kind {
			continue
		}
		sub := linkRE.FindStringSubmatch(m.Text)
		if sub == nil {
			t.Fatalf("mail %q has no link:\n%s", m.Subject, m.Text)
		}
		if sub[1] != b.srv.URL {
			t.Fatalf("link to %s, want %s", sub[1], b.srv.URL)
		}
		return sub[2] + "?token=" + sub[3]
	}
	t.Fatalf("no %s mail to %s in %d", kind, to, len(mails))
	return ""
}

// accountID returns the id of the account of email.
func (b *testBundle) accountID(t *testing.T, email string) string {
	t.Helper()
	var id string
	if err := b.db.QueryRow(context.Background(), `SELECT id FROM accounts WHERE email = ?`, email).Scan(&id); err != nil {
		t.Fatalf("account of %s: %v", email, err)
	}
	return id
}

// register registers email through the pages and activates it from the
// mailed link.
func (b *testBundle) register(t *testing.T, u *user, email string) string {
	t.Helper()
	res := u.submit(t, "/account/register?lang=en", "/account/register?lang=en",
		url.Values{"email": {email}, "password": {password}, "kind": {"personal"}})
	if res.Status != http.StatusOK {
		t.Fatalf("register %s: %d\n%s", email, res.Status, webtest.Excerpt(res.Body))
	}
	link := b.link(t, email, account.MailActivation)
	if res := u.submit(t, link+"&lang=en", "/account/activate?lang=en", url.Values{"password": {password}}); res.Status != http.StatusOK {
		t.Fatalf("activate %s: %d\n%s", email, res.Status, webtest.Excerpt(res.Body))
	}
	return b.accountID(t, email)
}

// login logs u in through the log-in page.
func (u *user) login(t *testing.T, email, pw string) webtest.Response {
	t.Helper()
	return u.submit(t, "/account/login?lang=en", "/account/login?lang=en", url.Values{"email": {email}, "password": {pw}})
}

// newMember registers, activates and logs in a fresh browser as email,
// funded with fund fen from outside the wallets.
func (b *testBundle) newMember(t *testing.T, email string, fund int64) (*user, string) {
	t.Helper()
	u := b.newUser(t)
	id := b.register(t, u, email)
	if res := u.login(t, email, password); res.Status != http.StatusSeeOther {
		t.Fatalf("login %s: %d\n%s", email, res.Status, webtest.Excerpt(res.Body))
	}
	if fund > 0 {
		b.fund(t, id, fund)
	}
	return u, id
}

// fund credits an account from the world.
func (b *testBundle) fund(t *testing.T, accountID string, minor int64) {
	t.Helper()
	err := b.db.InTx(context.Background(), func(tx *db.Tx) error {
		return b.wallet.FundTx(context.Background(), tx, accountID, "world", money.New(minor, money.CNY), "test:fund:"+accountID+fmt.Sprint(minor))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (b *testBundle) balance(t *testing.T, accountID string) int64 {
	t.Helper()
	a, err := b.wallet.Balance(context.Background(), accountID, money.CNY)
	if err != nil {
		t.Fatal(err)
	}
	return a.Minor()
}

// snapshot dumps the business state a refused request must not change:
// accounts and their lock-out counters, link tokens, balances, entries,
// claims, card operations and mail. (Sessions are left out: scs extends a
// session's idle expiry on every request.)
func (b *testBundle) snapshot(t *testing.T) string {
	t.Helper()
	var sb strings.Builder
	for _, q := range []string{
		`SELECT id, email, kind, company, status, password_hash, failed_logins,
			COALESCE(CAST(failed_since AS TEXT), ''), COALESCE(CAST(locked_until AS TEXT), ''),
			COALESCE(CAST(activated_at AS TEXT), '') FROM accounts ORDER BY id`,
		`SELECT token_hash, account_id, purpose, COALESCE(CAST(used_at AS TEXT), '') FROM account_tokens ORDER BY token_hash`,
		`SELECT name, balance_minor FROM ledger_accounts ORDER BY name`,
		`SELECT COUNT(*) FROM ledger_entries`,
		`SELECT COUNT(*) FROM ledger_postings`,
		`SELECT id, state FROM wallet_claims ORDER BY id`,
		`SELECT id, state FROM wallet_topups ORDER BY id`,
		`SELECT id, state FROM wallet_withdrawals ORDER BY id`,
		`SELECT COUNT(*) FROM mail_messages`,
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
			fmt.Fprintln(&sb, vals...)
		}
		rows.Close()
		fmt.Fprintln(&sb, "--")
	}
	return sb.String()
}

func (b *testBundle) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := b.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// wantStatus fails unless res has status.
func wantStatus(t *testing.T, what string, res webtest.Response, status int) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("%s: status %d, want %d (location %q)\n%s", what, res.Status, status, res.Location, webtest.Excerpt(res.Body))
	}
}
