package staff_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"paygate/internal/account"
	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/errs"
	"paygate/internal/id"
	"paygate/internal/merchant"
	"paygate/internal/staff"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const goodPassword = "tea-shop Finance 7"

var testStart = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

type testBundle struct {
	db       *db.DB
	clock    *clock.Fake
	svc      *staff.Service
	merchant merchant.Merchant
}

func setup(t *testing.T, d *db.DB) *testBundle {
	t.Helper()
	c := clock.NewFake(testStart)
	p := argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	m, err := merchant.NewStore(d, id.NewGenerator(nil, nil)).Create(context.Background(), "Tea Shop", "", merchant.FeePlan{})
	if err != nil {
		t.Fatal(err)
	}
	return &testBundle{db: d, clock: c, merchant: m, svc: staff.NewService(d, staff.Options{Clock: c, Argon2: &p})}
}

func wantCode(t *testing.T, err error, want *errs.Error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want %s", err, want.Code)
	}
}

// snapshot is the staff table as text: what a refused command must leave.
func snapshot(t *testing.T, d *db.DB) string {
	t.Helper()
	rows, err := d.Query(context.Background(), `SELECT id, email, role, password_hash, failed_logins, failed_since, locked_until,
last_login_at FROM merchant_staff ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, email, role, hash string
		var n int
		var since, until, last *time.Time
		if err := rows.Scan(&id, &email, &role, &hash, &n, &since, &until, &last); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, id, email, role, hash, n, since, until, last)
	}
	return b.String()
}

func TestCreateAndLogin(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := setup(t, d)
		m, err := b.svc.Create(ctx, b.merchant.ID, " Finance@TeaShop.test ", goodPassword, staff.Finance)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(m.ID, "stf_") || m.Email != "finance@teashop.test" || m.Role != staff.Finance || m.MerchantID != b.merchant.ID {
			t.Fatalf("Create = %+v", m)
		}
		if strings.Contains(m.String(), "finance@") {
			t.Errorf("String() shows the email: %s", m)
		}
		b.clock.Advance(time.Hour)
		got, err := b.svc.Login(ctx, "FINANCE@teashop.test", goodPassword)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != m.ID || got.LastLoginAt == nil || !got.LastLoginAt.Equal(testStart.Add(time.Hour)) {
			t.Fatalf("Login = %+v", got)
		}
		if g, err := b.svc.Get(ctx, m.ID); err != nil || g.Email != m.Email {
			t.Fatalf("Get = %+v, %v", g, err)
		}
		_, err = b.svc.Get(ctx, "stf_nobody")
		wantCode(t, err, staff.ErrNotFound)
		var hash string
		if err := d.QueryRow(ctx, `SELECT password_hash FROM merchant_staff WHERE id = ?`, m.ID).Scan(&hash); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, goodPassword) {
			t.Fatalf("stored %q", hash)
		}
		list, err := b.svc.List(ctx, b.merchant.ID)
		if err != nil || len(list) != 1 || list[0].ID != m.ID {
			t.Fatalf("List = %+v, %v", list, err)
		}
	})
}

func TestCreateRefused(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := setup(t, d)
		if _, err := b.svc.Create(ctx, b.merchant.ID, "admin@teashop.test", goodPassword, staff.Admin); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, d)
		tests := []struct {
			name, merchantID, email, password string
			role                              staff.Role
			want                              *errs.Error
		}{
			{"BadEmail", b.merchant.ID, "not an email", goodPassword, staff.Viewer, account.ErrInvalidEmail},
			{"WeakPassword", b.merchant.ID, "v@teashop.test", "short", staff.Viewer, account.ErrWeakPassword},
			{"UnknownRole", b.merchant.ID, "v@teashop.test", goodPassword, "owner", staff.ErrRoleInvalid},
			{"EmailTaken", b.merchant.ID, "ADMIN@teashop.test", goodPassword, staff.Viewer, staff.ErrEmailTaken},
			{"UnknownMerchant", "mch_nobody", "v@teashop.test", goodPassword, staff.Viewer, merchant.ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := b.svc.Create(ctx, tt.merchantID, tt.email, tt.password, tt.role)
				wantCode(t, err, tt.want)
				if after := snapshot(t, d); after != before {
					t.Fatalf("refused Create changed state:\n%s\n---\n%s", before, after)
				}
			})
		}
	})
}

// TestLoginLockout: wrong passwords spread beyond the window never lock;
// five within it lock the login, and then even the right password is
// refused without changing anything, until the lock ends.
func TestLoginLockout(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := setup(t, d)
		m, err := b.svc.Create(ctx, b.merchant.ID, "viewer@teashop.test", goodPassword, staff.Viewer)
		if err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, d)
		for _, email := range []string{"nobody@teashop.test", "not an email"} {
			_, err := b.svc.Login(ctx, email, goodPassword)
			wantCode(t, err, staff.ErrBadCredentials)
		}
		if snapshot(t, d) != before {
			t.Fatal("log-in to an unknown address changed state")
		}
		for range 6 {
			_, err := b.svc.Login(ctx, "viewer@teashop.test", "wrong password 1")
			wantCode(t, err, staff.ErrBadCredentials)
			b.clock.Advance(4 * time.Minute)
		}
		if _, err := b.svc.Login(ctx, "viewer@teashop.test", goodPassword); err != nil {
			t.Fatalf("log-in after spread-out failures: %v", err)
		}
		for i := range 5 {
			_, err := b.svc.Login(ctx, "viewer@teashop.test", "wrong password 1")
			if i < 4 {
				wantCode(t, err, staff.ErrBadCredentials)
			} else {
				wantCode(t, err, staff.ErrLocked)
			}
			b.clock.Advance(time.Minute)
		}
		got, err := b.svc.Get(ctx, m.ID)
		if err != nil || got.LockedUntil == nil {
			t.Fatalf("Get = %+v, %v", got, err)
		}
		locked := snapshot(t, d)
		for _, pw := range []string{goodPassword, "wrong password 1"} {
			_, err := b.svc.Login(ctx, "viewer@teashop.test", pw)
			wantCode(t, err, staff.ErrLocked)
		}
		if snapshot(t, d) != locked {
			t.Fatal("log-in while locked changed state")
		}
		b.clock.Set(*got.LockedUntil)
		if _, err := b.svc.Login(ctx, "viewer@teashop.test", goodPassword); err != nil {
			t.Fatalf("log-in when the lock ended: %v", err)
		}
		if got, _ := b.svc.Get(ctx, m.ID); got.LockedUntil != nil {
			t.Fatalf("lock kept after a good log-in: %+v", got)
		}
	})
}

func TestRoles(t *testing.T) {
	t.Parallel()
	all := []staff.Action{staff.ViewPayments, staff.ExportPayments, staff.Refund, staff.BatchRefund, staff.Resend,
		staff.ManageKeys, staff.ChangeSettings}
	want := map[staff.Role][]staff.Action{
		staff.Admin:   all,
		staff.Finance: {staff.ViewPayments, staff.ExportPayments, staff.Refund, staff.BatchRefund, staff.Resend},
		staff.Viewer:  {staff.ViewPayments, staff.ExportPayments},
		"owner":       nil,
	}
	for role, allowed := range want {
		for _, a := range all {
			ok := false
			for _, w := range allowed {
				ok = ok || w == a
			}
			if role.Can(a) != ok {
				t.Errorf("%s.Can(%s) = %v, want %v", role, a, role.Can(a), ok)
			}
			if err := role.Check(a); (err == nil) != ok || (err != nil && !errors.Is(err, staff.ErrForbidden)) {
				t.Errorf("%s.Check(%s) = %v", role, a, err)
			}
		}
	}
	for _, s := range []string{"admin", "finance", "viewer"} {
		if r, err := staff.ParseRole(s); err != nil || string(r) != s {
			t.Errorf("ParseRole(%q) = %q, %v", s, r, err)
		}
	}
	if _, err := staff.ParseRole("Admin"); !errors.Is(err, staff.ErrRoleInvalid) {
		t.Errorf("ParseRole(Admin): %v", err)
	}
}
