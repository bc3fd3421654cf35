package account

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/errs"
)

const goodPassword = "correct horse 9"

func TestRegisterActivateLogin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, email, wantEmail string
		kind                   Kind
		company, wantCompany   string
	}{
		{"Personal", "  Ann@Example.COM ", "ann@example.com", Personal, "ignored", ""},
		{"Enterprise", "billing@shop.example", "billing@shop.example", Enterprise, " 快钱 Ltd ", "快钱 Ltd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dbtest.Engines(t, func(t *testing.T, d *db.DB) {
				ctx := context.Background()
				var hooked []Account
				b := setup(t, d, Options{OnActivate: func(ctx context.Context, tx *db.Tx, a Account) error {
					// The hook sees the activation inside the transaction.
					var status string
					if err := tx.QueryRow(ctx, `SELECT status FROM accounts WHERE id = ?`, a.ID).Scan(&status); err != nil {
						return err
					}
					if status != "active" {
						t.Errorf("hook saw status %q", status)
					}
					hooked = append(hooked, a)
					return nil
				}})
				a, err := b.svc.Register(ctx, tt.email, goodPassword, tt.kind, tt.company)
				if err != nil {
					t.Fatalf("Register: %v", err)
				}
				if !strings.HasPrefix(a.ID, "acct_") || a.Email != tt.wantEmail || a.Status != Pending ||
					a.Kind != tt.kind || a.Company != tt.wantCompany || !a.CreatedAt.Equal(testStart) {
					t.Fatalf("Register = %+v", a)
				}
				ms := b.mails(t)
				if len(ms) != 1 || ms[0].To != tt.wantEmail || ms[0].Kind != MailActivation || ms[0].Ref != a.ID {
					t.Fatalf("mails = %+v", ms)
				}
				token := b.lastLink(t, tt.wantEmail, MailActivation, "/account/activate")
				var stored string
				if err := d.QueryRow(ctx, `SELECT token_hash FROM account_tokens`).Scan(&stored); err != nil {
					t.Fatal(err)
				}
				if h, _ := hashToken(token); stored != h || strings.Contains(stored, token) {
					t.Fatalf("stored %q, want the SHA-256 of the token only", stored)
				}

				_, err = b.svc.Login(ctx, tt.email, goodPassword)
				wantCode(t, err, ErrNotActivated)

				b.clock.Advance(23 * time.Hour)
				act, err := b.svc.Activate(ctx, token, goodPassword)
				if err != nil {
					t.Fatalf("Activate: %v", err)
				}
				if act.Status != Active || act.ActivatedAt == nil || !act.ActivatedAt.Equal(testStart.Add(23*time.Hour)) {
					t.Fatalf("Activate = %+v", act)
				}
				if len(hooked) != 1 || hooked[0].ID != a.ID {
					t.Fatalf("hook calls = %+v", hooked)
				}
				got, err := b.svc.Login(ctx, strings.ToUpper(tt.email), goodPassword)
				if err != nil {
					t.Fatalf("Login: %v", err)
				}
				if got.ID != a.ID || got.Status != Active || got.Company != tt.wantCompany {
					t.Fatalf("Login = %+v", got)
				}
			})
		})
	}
}

func TestActivateRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// token returns the token to try, after preparing the state.
		token func(t *testing.T, b *testBundle) string
		want  *errs.Error
	}{
		{"Expired", func(t *testing.T, b *testBundle) string {
			tok := b.lastLink(t, "ann@example.com", MailActivation, "/account/activate")
			b.clock.Advance(24 * time.Hour)
			return tok
		}, ErrActivationExpired},
		{"Reused", func(t *testing.T, b *testBundle) string {
			tok := b.lastLink(t, "ann@example.com", MailActivation, "/account/activate")
			if _, err := b.svc.Activate(context.Background(), tok, goodPassword); err != nil {
				t.Fatal(err)
			}
			return tok
		}, ErrActivationUsed},
		{"Unknown", func(t *testing.T, b *testBundle) string {
			tok, _ := newToken()
			return tok
		}, ErrActivationInvalid},
		{"Malformed", func(t *testing.T, b *testBundle) string { return "not-a-token" }, ErrActivationInvalid},
		{"Empty", func(t *testing.T, b *testBundle) string { return "" }, ErrActivationInvalid},
		{"Superseded", func(t *testing.T, b *testBundle) string {
			tok := b.lastLink(t, "ann@example.com", MailActivation, "/account/activate")
			if _, err := b.svc.Register(context.Background(), "ann@example.com", goodPassword, Personal, ""); err != nil {
				t.Fatal(err)
			}
			return tok
		}, ErrActivationInvalid},
		{"ResetTokenForActivation", func(t *testing.T, b *testBundle) string {
			b.mustActive(t, "bob@example.com", goodPassword)
			if err := b.svc.RequestReset(context.Background(), "bob@example.com"); err != nil {
				t.Fatal(err)
			}
			return b.lastLink(t, "bob@example.com", MailReset, "/account/reset")
		}, ErrActivationInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dbtest.Engines(t, func(t *testing.T, d *db.DB) {
				ctx := context.Background()
				b := setup(t, d, Options{})
				if _, err := b.svc.Register(ctx, "ann@example.com", goodPassword, Personal, ""); err != nil {
					t.Fatal(err)
				}
				tok := tt.token(t, b)
				before := snapshot(t, d)
				_, err := b.svc.Activate(ctx, tok, goodPassword)
				wantCode(t, err, tt.want)
				if after := snapshot(t, d); after != before {
					t.Fatalf("refused activation changed state:\n%s\n---\n%s", before, after)
				}
			})
		})
	}
}

func TestActivateHookFailureRollsBack(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		boom := errors.New("wallet down")
		b := setup(t, d, Options{OnActivate: func(ctx context.Context, tx *db.Tx, a Account) error { return boom }})
		a, err := b.svc.Register(ctx, "ann@example.com", goodPassword, Personal, "")
		if err != nil {
			t.Fatal(err)
		}
		tok := b.lastLink(t, a.Email, MailActivation, "/account/activate")
		before := snapshot(t, d)
		if _, err := b.svc.Activate(ctx, tok, goodPassword); !errors.Is(err, boom) {
			t.Fatalf("Activate = %v, want the hook's error", err)
		}
		if after := snapshot(t, d); after != before {
			t.Fatalf("failed hook left changes:\n%s\n---\n%s", before, after)
		}
		// The link still works once the hook does.
		ok := NewService(d, tableMailer{}, Options{Clock: b.clock, Argon2: &testArgon2})
		if got, err := ok.Activate(ctx, tok, goodPassword); err != nil || got.Status != Active {
			t.Fatalf("Activate = %+v, %v", got, err)
		}
	})
}

func TestRegisterRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, email, password string
		kind                  Kind
		company               string
		want                  *errs.Error
	}{
		{"BadEmail", "ann.example.com", goodPassword, Personal, "", ErrInvalidEmail},
		{"DisplayName", "Ann <ann@example.com>", goodPassword, Personal, "", ErrInvalidEmail},
		{"EmptyEmail", " ", goodPassword, Personal, "", ErrInvalidEmail},
		{"ShortPassword", "new@example.com", "abc123", Personal, "", ErrWeakPassword},
		{"OneClassPassword", "new@example.com", "abcdefghijkl", Personal, "", ErrWeakPassword},
		{"DigitsOnly", "new@example.com", "12345678901234", Personal, "", ErrWeakPassword},
		{"LongPassword", "new@example.com", strings.Repeat("aB", 200), Personal, "", ErrPasswordTooLong},
		{"BadKind", "new@example.com", goodPassword, Kind("vip"), "", ErrInvalidKind},
		{"EnterpriseNoCompany", "new@example.com", goodPassword, Enterprise, "  ", ErrCompanyRequired},
		{"Taken", "Taken@Example.com", goodPassword, Personal, "", ErrEmailTaken},
		{"TakenWhileLocked", "locked@example.com", goodPassword, Personal, "", ErrEmailTaken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dbtest.Engines(t, func(t *testing.T, d *db.DB) {
				ctx := context.Background()
				b := setup(t, d, Options{})
				b.mustActive(t, "taken@example.com", goodPassword)
				b.mustActive(t, "locked@example.com", goodPassword)
				for range 5 {
					b.svc.Login(ctx, "locked@example.com", "wrong password 1")
				}
				before := snapshot(t, d)
				_, err := b.svc.Register(ctx, tt.email, tt.password, tt.kind, tt.company)
				wantCode(t, err, tt.want)
				if after := snapshot(t, d); after != before {
					t.Fatalf("refused registration changed state:\n%s\n---\n%s", before, after)
				}
			})
		})
	}
}

func TestRegisterPendingAgain(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := setup(t, d, Options{})
		first, err := b.svc.Register(ctx, "ann@example.com", "first password 1", Personal, "")
		if err != nil {
			t.Fatal(err)
		}
		old := b.lastLink(t, "ann@example.com", MailActivation, "/account/activate")
		second, err := b.svc.Register(ctx, "ANN@example.com", "second password 2", Enterprise, "Ann Co")
		if err != nil {
			t.Fatal(err)
		}
		if second.ID != first.ID || second.Kind != Enterprise || second.Company != "Ann Co" {
			t.Fatalf("second Register = %+v, want the same account updated", second)
		}
		if n := count(t, d, "accounts"); n != 1 {
			t.Fatalf("%d accounts", n)
		}
		if n := len(b.mails(t)); n != 2 {
			t.Fatalf("%d mails, want a fresh activation mail", n)
		}
		fresh := b.lastLink(t, "ann@example.com", MailActivation, "/account/activate")
		if fresh == old {
			t.Fatal("same token re-sent")
		}
		_, err = b.svc.Activate(ctx, old, "second password 2")
		wantCode(t, err, ErrActivationInvalid)
		if _, err := b.svc.Activate(ctx, fresh, "second password 2"); err != nil {
			t.Fatal(err)
		}
		_, err = b.svc.Login(ctx, "ann@example.com", "first password 1")
		wantCode(t, err, ErrBadCredentials)
		if _, err := b.svc.Login(ctx, "ann@example.com", "second password 2"); err != nil {
			t.Fatalf("Login with the latest password: %v", err)
		}
	})
}

func TestLoginRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, email, password string
		want                  *errs.Error
		countsFailure         bool
	}{
		{"UnknownEmail", "nobody@example.com", goodPassword, ErrBadCredentials, false},
		{"MalformedEmail", "nobody", goodPassword, ErrBadCredentials, false},
		{"WrongPassword", "ann@example.com", "wrong password 1", ErrBadCredentials, true},
		{"EmptyPassword", "ann@example.com", "", ErrBadCredentials, true},
		{"PendingRightPassword", "pending@example.com", goodPassword, ErrNotActivated, false},
		{"PendingWrongPassword", "pending@example.com", "wrong password 1", ErrBadCredentials, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dbtest.Engines(t, func(t *testing.T, d *db.DB) {
				ctx := context.Background()
				b := setup(t, d, Options{})
				b.mustActive(t, "ann@example.com", goodPassword)
				if _, err := b.svc.Register(ctx, "pending@example.com", goodPassword, Personal, ""); err != nil {
					t.Fatal(err)
				}
				before := snapshot(t, d)
				_, err := b.svc.Login(ctx, tt.email, tt.password)
				wantCode(t, err, tt.want)
				after := snapshot(t, d)
				if changed := after != before; changed != tt.countsFailure {
					t.Fatalf("state changed = %v, want %v:\n%s\n---\n%s", changed, tt.countsFailure, before, after)
				}
				if count(t, d, "accounts") != 2 || count(t, d, "sessions") != 0 || len(b.mails(t)) != 2 {
					t.Fatal("refused log-in added rows")
				}
			})
		})
	}
}

func TestLockout(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := setup(t, d, Options{})
		a := b.mustActive(t, "ann@example.com", goodPassword)

		// Failures more than a window apart never lock.
		for range 6 {
			_, err := b.svc.Login(ctx, "ann@example.com", "wrong password 1")
			wantCode(t, err, ErrBadCredentials)
			b.clock.Advance(4 * time.Minute)
		}
		if _, err := b.svc.Login(ctx, "ann@example.com", goodPassword); err != nil {
			t.Fatalf("Login after spread-out failures: %v", err)
		}

		// A success resets the count; then five within the window lock.
		for i := range 5 {
			_, err := b.svc.Login(ctx, "ann@example.com", "wrong password 1")
			if i < 4 {
				wantCode(t, err, ErrBadCredentials)
			} else {
				wantCode(t, err, ErrLocked)
			}
			b.clock.Advance(time.Minute)
		}
		got, err := b.svc.Get(ctx, a.ID)
		if err != nil || got.Status != Locked || got.LockedUntil == nil {
			t.Fatalf("Get = %+v, %v", got, err)
		}
		before := snapshot(t, d)
		for _, pw := range []string{goodPassword, "wrong password 1"} {
			_, err := b.svc.Login(ctx, "ann@example.com", pw)
			wantCode(t, err, ErrLocked)
		}
		if after := snapshot(t, d); after != before {
			t.Fatalf("log-in while locked changed state:\n%s\n---\n%s", before, after)
		}

		b.clock.Set(got.LockedUntil.Add(-time.Second))
		_, err = b.svc.Login(ctx, "ann@example.com", goodPassword)
		wantCode(t, err, ErrLocked)
		b.clock.Set(*got.LockedUntil)
		got, err = b.svc.Login(ctx, "ann@example.com", goodPassword)
		if err != nil || got.Status != Active || got.LockedUntil != nil {
			t.Fatalf("Login after the lock-out = %+v, %v", got, err)
		}
	})
}

// TestLockoutAcrossInstances fails log-ins through two handles on one
// PostgreSQL database, as two gateway instances would.
func TestLockoutAcrossInstances(t *testing.T) {
	t.Parallel()
	dsn := dbtest.PostgresDSN(t)
	ctx := context.Background()
	open := func() *db.DB {
		d, err := db.Open(ctx, dsn, db.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	d1 := open()
	b1 := setup(t, d1, Options{})
	b2 := setup(t, open(), Options{Clock: b1.clock})
	b1.mustActive(t, "ann@example.com", goodPassword)
	for i := range 5 {
		b := []*testBundle{b1, b2}[i%2]
		_, err := b.svc.Login(ctx, "ann@example.com", "wrong password 1")
		if i < 4 {
			wantCode(t, err, ErrBadCredentials)
		} else {
			wantCode(t, err, ErrLocked)
		}
	}
	for _, b := range []*testBundle{b1, b2} {
		_, err := b.svc.Login(ctx, "ann@example.com", goodPassword)
		wantCode(t, err, ErrLocked)
	}
	b1.clock.Advance(15 * time.Minute)
	if _, err := b2.svc.Login(ctx, "ann@example.com", goodPassword); err != nil {
		t.Fatalf("Login after the period: %v", err)
	}
}

func TestReset(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := setup(t, d, Options{})
		a := b.mustActive(t, "ann@example.com", goodPassword)
		mails := len(b.mails(t))

		// Unknown addresses succeed and send nothing.
		before := snapshot(t, d)
		if err := b.svc.RequestReset(ctx, "nobody@example.com"); err != nil {
			t.Fatalf("RequestReset(unknown) = %v", err)
		}
		wantCode(t, b.svc.RequestReset(ctx, "nobody"), ErrInvalidEmail)
		if after := snapshot(t, d); after != before {
			t.Fatal("reset of an unknown address changed state")
		}

		// Lock the account: a reset lifts the lock.
		for range 5 {
			b.svc.Login(ctx, "ann@example.com", "wrong password 1")
		}
		if err := b.svc.RequestReset(ctx, " Ann@example.com"); err != nil {
			t.Fatal(err)
		}
		if n := len(b.mails(t)); n != mails+1 {
			t.Fatalf("%d mails, want %d", n, mails+1)
		}
		old := b.lastLink(t, "ann@example.com", MailReset, "/account/reset")
		if err := b.svc.RequestReset(ctx, "ann@example.com"); err != nil {
			t.Fatal(err)
		}
		tok := b.lastLink(t, "ann@example.com", MailReset, "/account/reset")

		refused := []struct {
			name, token, password string
			want                  *errs.Error
		}{
			{"WeakPassword", tok, "short", ErrWeakPassword},
			{"Superseded", old, "new password 22", ErrResetInvalid},
			{"Unknown", "AAAA", "new password 22", ErrResetInvalid},
		}
		for _, r := range refused {
			before := snapshot(t, d)
			_, err := b.svc.Reset(ctx, r.token, r.password)
			wantCode(t, err, r.want)
			if after := snapshot(t, d); after != before {
				t.Fatalf("%s: refused reset changed state", r.name)
			}
		}

		got, err := b.svc.Reset(ctx, tok, "new password 22")
		if err != nil || got.ID != a.ID || got.Status != Active {
			t.Fatalf("Reset = %+v, %v", got, err)
		}
		_, err = b.svc.Login(ctx, "ann@example.com", goodPassword)
		wantCode(t, err, ErrBadCredentials)
		if _, err := b.svc.Login(ctx, "ann@example.com", "new password 22"); err != nil {
			t.Fatalf("Login with the new password: %v", err)
		}
		before = snapshot(t, d)
		_, err = b.svc.Reset(ctx, tok, "third password 3")
		wantCode(t, err, ErrResetUsed)

		// Expired links.
		if err := b.svc.RequestReset(ctx, "ann@example.com"); err != nil {
			t.Fatal(err)
		}
		tok = b.lastLink(t, "ann@example.com", MailReset, "/account/reset")
		b.clock.Advance(time.Hour)
		before = snapshot(t, d)
		_, err = b.svc.Reset(ctx, tok, "third password 3")
		wantCode(t, err, ErrResetExpired)
		if after := snapshot(t, d); after != before {
			t.Fatal("expired reset changed state")
		}
	})
}

func TestRequestResetPendingResendsActivation(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := setup(t, d, Options{})
		if _, err := b.svc.Register(ctx, "ann@example.com", goodPassword, Personal, ""); err != nil {
			t.Fatal(err)
		}
		old := b.lastLink(t, "ann@example.com", MailActivation, "/account/activate")
		if err := b.svc.RequestReset(ctx, "ann@example.com"); err != nil {
			t.Fatal(err)
		}
		fresh := b.lastLink(t, "ann@example.com", MailActivation, "/account/activate")
		if fresh == old {
			t.Fatal("no fresh activation link")
		}
		if _, err := b.svc.Activate(ctx, fresh, goodPassword); err != nil {
			t.Fatal(err)
		}
	})
}

func TestActiveByEmailTx(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := setup(t, d, Options{})
		a := b.mustActive(t, "ann@example.com", goodPassword)
		if _, err := b.svc.Register(ctx, "pending@example.com", goodPassword, Personal, ""); err != nil {
			t.Fatal(err)
		}
		err := d.InTx(ctx, func(tx *db.Tx) error {
			got, err := ActiveByEmailTx(ctx, tx, "ANN@example.com")
			if err != nil || got.ID != a.ID {
				t.Errorf("ActiveByEmailTx = %+v, %v", got, err)
			}
			for _, e := range []string{"pending@example.com", "nobody@example.com"} {
				if _, err := ActiveByEmailTx(ctx, tx, e); !errors.Is(err, ErrNotFound) {
					t.Errorf("ActiveByEmailTx(%s) = %v", e, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestActivateNeedsRegistrationPassword: whoever registered a pending
// address last chose its password, so the activation link alone must not
// activate it: a wrong password changes nothing but the lock-out count,
// the link stays usable, and enough wrong ones lock the activation out
// without ever making the account active.
func TestActivateNeedsRegistrationPassword(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := setup(t, d, Options{MaxFailures: 3})
		const mallorys = "Mallory's pass 1"
		if _, err := b.svc.Register(ctx, "bob@example.com", mallorys, Personal, ""); err != nil {
			t.Fatal(err)
		}
		tok := b.lastLink(t, "bob@example.com", MailActivation, "/account/activate")
		before := snapshot(t, d)
		_, err := b.svc.Activate(ctx, tok, goodPassword)
		wantCode(t, err, ErrActivationPassword)
		_, err = b.svc.Activate(ctx, tok, "")
		wantCode(t, err, ErrActivationPassword)
		after := snapshot(t, d)
		if strings.Count(before, "pending") != 1 || strings.Count(after, "pending") != 1 || strings.Contains(after, " active ") {
			t.Fatalf("state after refused activations:\n%s", after)
		}
		_, err = b.svc.Activate(ctx, tok, goodPassword) // the third: locked out, still pending
		wantCode(t, err, ErrLocked)
		_, err = b.svc.Activate(ctx, tok, mallorys)
		wantCode(t, err, ErrLocked)
		_, err = b.svc.Login(ctx, "bob@example.com", mallorys)
		wantCode(t, err, ErrLocked)
		b.clock.Advance(time.Hour)
		_, err = b.svc.Login(ctx, "bob@example.com", mallorys) // a lock-out never activates
		wantCode(t, err, ErrNotActivated)
		a, err := b.svc.Activate(ctx, tok, mallorys)
		if err != nil || a.Status != Active {
			t.Fatalf("Activate with the registration's password = %+v, %v", a, err)
		}
	})
}

// TestResetSetsSessionsValidAfter: sessions logged in before a reset are
// no longer current, ones after it are.
func TestResetSetsSessionsValidAfter(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := setup(t, d, Options{})
		a := b.mustActive(t, "ann@example.com", goodPassword)
		if a.SessionsValidAfter != nil || !a.SessionCurrent(time.Time{}, false) {
			t.Fatalf("new account %+v restricts sessions", a)
		}
		loggedIn := b.clock.Now()
		b.clock.Advance(time.Second)
		if err := b.svc.RequestReset(ctx, "ann@example.com"); err != nil {
			t.Fatal(err)
		}
		got, err := b.svc.Reset(ctx, b.lastLink(t, "ann@example.com", MailReset, "/account/reset"), "new Password 2")
		if err != nil || got.SessionsValidAfter == nil || !got.SessionsValidAfter.Equal(b.clock.Now().UTC().Truncate(time.Microsecond)) {
			t.Fatalf("Reset = %+v, %v", got, err)
		}
		for _, tt := range []struct {
			at   time.Time
			ok   bool
			want bool
		}{{loggedIn, true, false}, {time.Time{}, false, false}, {b.clock.Now(), true, true}, {b.clock.Now().Add(time.Second), true, true}} {
			if c := got.SessionCurrent(tt.at, tt.ok); c != tt.want {
				t.Errorf("SessionCurrent(%v, %v) = %v, want %v", tt.at, tt.ok, c, tt.want)
			}
		}
	})
}
