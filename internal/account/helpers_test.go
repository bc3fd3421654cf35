package account

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/errs"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const testBaseURL = "https://pay.example"

var testStart = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// testArgon2 keeps hashing cheap in tests; production uses DefaultArgon2.
var testArgon2 = argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// tableMailer is a Mailer that writes into a test table inside the caller's
// transaction, so a rolled-back command leaves no mail, as with the outbox.
type tableMailer struct{}

func (tableMailer) Send(ctx context.Context, tx *db.Tx, to, subject, text, kind, ref string) error {
	_, err := tx.Exec(ctx, `INSERT INTO test_mails (to_addr, subject, body, kind, ref) VALUES (?, ?, ?, ?, ?)`,
		to, subject, text, kind, ref)
	return err
}

type mailMsg struct{ To, Subject, Body, Kind, Ref string }

type testBundle struct {
	db    *db.DB
	clock *clock.Fake
	svc   *Service
}

func setup(t *testing.T, d *db.DB, opts Options) *testBundle {
	t.Helper()
	if _, err := d.ExecRaw(context.Background(), `CREATE TABLE IF NOT EXISTS test_mails (
	to_addr TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	c := clock.NewFake(testStart)
	if opts.Clock == nil {
		opts.Clock = c
	}
	opts.BaseURL = testBaseURL + "/"
	p := testArgon2
	opts.Argon2 = &p
	return &testBundle{db: d, clock: c, svc: NewService(d, tableMailer{}, opts)}
}

func (b *testBundle) mails(t *testing.T) []mailMsg {
	t.Helper()
	rows, err := b.db.Query(context.Background(), `SELECT to_addr, subject, body, kind, ref FROM test_mails`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ms []mailMsg
	for rows.Next() {
		var m mailMsg
		if err := rows.Scan(&m.To, &m.Subject, &m.Body, &m.Kind, &m.Ref); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ms
}

var linkRE = regexp.MustCompile(`(https://\S+)\?token=([A-Za-z0-9_-]+)`)

// lastLink returns the token of the last mail of kind to addr, checking
// that its link has the expected address.
func (b *testBundle) lastLink(t *testing.T, to, kind, path string) string {
	t.Helper()
	ms := b.mails(t)
	for i := len(ms) - 1; i >= 0; i-- {
		m := ms[i]
		if m.To != to || m.Kind != kind {
			continue
		}
		sub := linkRE.FindStringSubmatch(m.Body)
		if sub == nil {
			t.Fatalf("mail %q has no link:\n%s", m.Subject, m.Body)
		}
		if sub[1] != testBaseURL+path {
			t.Fatalf("link %s, want %s", sub[1], testBaseURL+path)
		}
		return sub[2]
	}
	t.Fatalf("no %s mail to %s in %d mails", kind, to, len(ms))
	return ""
}

// mustRegister registers and activates an account.
func (b *testBundle) mustActive(t *testing.T, email, password string) Account {
	t.Helper()
	ctx := context.Background()
	if _, err := b.svc.Register(ctx, email, password, Personal, ""); err != nil {
		t.Fatalf("Register: %v", err)
	}
	a, err := b.svc.Activate(ctx, b.lastLink(t, email, MailActivation, "/account/activate"), password)
	if err != nil {
		t.Fatalf("Activate: %v", err)
	}
	return a
}

// snapshot dumps the state a refused command must not change.
func snapshot(t *testing.T, d *db.DB) string {
	t.Helper()
	var sb strings.Builder
	for _, q := range []string{
		`SELECT id, email, kind, company, status, password_hash, failed_logins,
			COALESCE(CAST(failed_since AS TEXT), ''), COALESCE(CAST(locked_until AS TEXT), ''),
			COALESCE(CAST(activated_at AS TEXT), '') FROM accounts ORDER BY id`,
		`SELECT token_hash, account_id, purpose, COALESCE(CAST(used_at AS TEXT), '') FROM account_tokens ORDER BY token_hash`,
		`SELECT token, CAST(expiry AS TEXT) FROM sessions ORDER BY token`,
		`SELECT COUNT(*) FROM test_mails`,
	} {
		rows, err := d.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
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

func count(t *testing.T, d *db.DB, table string) int {
	t.Helper()
	var n int
	if err := d.QueryRow(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// wantCode fails t unless err is an *errs.Error with code want.
func wantCode(t *testing.T, err error, want *errs.Error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %s", err, want.Code)
	}
	if e := errs.As(err); e == nil || e.Message == "" || e.Kind != want.Kind {
		t.Fatalf("err = %#v, want a %v error with a message", err, want.Kind)
	}
}
