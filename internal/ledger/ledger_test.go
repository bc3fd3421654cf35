package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"testing"

	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/id"
	"paygate/internal/ledger"
	"paygate/internal/money"
)

func TestMain(m *testing.M) {
	if dsn := os.Getenv(workerEnv); dsn != "" {
		if err := runWorkerProcess(dsn); err != nil {
			fmt.Fprintln(os.Stderr, "ledger worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	dbtest.Main(m)
}

func cny(minor int64) money.Amount { return money.New(minor, "CNY") }

func newTestLedger(t *testing.T, d *db.DB, specs ...ledger.AccountSpec) *ledger.Ledger {
	t.Helper()
	l := ledger.New(d, id.NewGenerator(nil, nil))
	if err := l.OpenAccounts(context.Background(), specs...); err != nil {
		t.Fatalf("open accounts: %v", err)
	}
	return l
}

func mustCommit(t *testing.T, l *ledger.Ledger, entries ...ledger.Entry) []ledger.Posted {
	t.Helper()
	p, err := l.Commit(context.Background(), entries...)
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	return p
}

func balance(t *testing.T, l *ledger.Ledger, name string) int64 {
	t.Helper()
	b, err := l.Balance(context.Background(), name)
	if err != nil {
		t.Fatalf("balance %s: %v", name, err)
	}
	return b.Minor()
}

// rowCounts returns the number of entries and postings, to prove that a
// refused entry wrote nothing.
func rowCounts(t *testing.T, d *db.DB) (entries, postings int) {
	t.Helper()
	ctx := context.Background()
	if err := d.QueryRow(ctx, `SELECT count(*) FROM ledger_entries`).Scan(&entries); err != nil {
		t.Fatal(err)
	}
	if err := d.QueryRow(ctx, `SELECT count(*) FROM ledger_postings`).Scan(&postings); err != nil {
		t.Fatal(err)
	}
	return entries, postings
}

var testAccounts = []ledger.AccountSpec{
	{Name: "world", Currency: "CNY", AllowNegative: true},
	{Name: "world:usd", Currency: "USD", AllowNegative: true},
	{Name: "alice", Currency: "CNY"},
	{Name: "bob", Currency: "CNY"},
	{Name: "carol:usd", Currency: "USD"},
}

func TestPostRefusesAndWritesNothing(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		l := newTestLedger(t, d, testAccounts...)
		mustCommit(t, l, ledger.Entry{Key: "fund:alice", Postings: ledger.Transfer("world", "alice", cny(10_000))})
		entries0, postings0 := rowCounts(t, d)

		tests := []struct {
			name        string
			entries     []ledger.Entry
			want        error
			wantAccount string
		}{
			{"Unbalanced", []ledger.Entry{{Key: "u1", Postings: []ledger.Posting{
				{Account: "alice", Amount: cny(-100)}, {Account: "bob", Amount: cny(99)}}}}, ledger.ErrUnbalanced, ""},
			{"UnbalancedAcrossCurrencies", []ledger.Entry{{Key: "u2", Postings: []ledger.Posting{
				{Account: "alice", Amount: cny(-100)}, {Account: "carol:usd", Amount: money.New(100, "USD")}}}}, ledger.ErrUnbalanced, ""},
			{"CurrencyNotHeld", []ledger.Entry{{Key: "c1", Postings: []ledger.Posting{
				{Account: "world:usd", Amount: money.New(-100, "USD")}, {Account: "bob", Amount: money.New(100, "USD")}}}}, ledger.ErrCurrencyMismatch, "bob"},
			{"Overdraw", []ledger.Entry{{Key: "o1", Postings: ledger.Transfer("alice", "bob", cny(10_001))}}, ledger.ErrInsufficientFunds, "alice"},
			{"OverdrawInSecondEntryOfBatch", []ledger.Entry{
				{Key: "b1", Postings: ledger.Transfer("alice", "bob", cny(6_000))},
				{Key: "b2", Postings: ledger.Transfer("alice", "bob", cny(6_000))}}, ledger.ErrInsufficientFunds, "alice"},
			{"OverdrawMidBatchThoughNetFits", []ledger.Entry{
				{Key: "m1", Postings: ledger.Transfer("alice", "bob", cny(15_000))},
				{Key: "m2", Postings: ledger.Transfer("bob", "alice", cny(15_000))}}, ledger.ErrInsufficientFunds, "alice"},
			{"SameKeyTwiceInBatchWithOtherContent", []ledger.Entry{
				{Key: "d1", Postings: ledger.Transfer("alice", "bob", cny(1))},
				{Key: "d1", Postings: ledger.Transfer("alice", "bob", cny(2))}}, ledger.ErrKeyReused, ""},
			{"UnknownAccount", []ledger.Entry{{Key: "n1", Postings: ledger.Transfer("alice", "nobody", cny(1))}}, ledger.ErrAccountNotFound, "nobody"},
			{"UnknownCurrency", []ledger.Entry{{Key: "x1", Postings: []ledger.Posting{
				{Account: "alice", Amount: money.New(-1, "XYZ")}, {Account: "bob", Amount: money.New(1, "XYZ")}}}}, ledger.ErrCurrencyMismatch, "alice"},
			{"EmptyKey", []ledger.Entry{{Postings: ledger.Transfer("alice", "bob", cny(1))}}, ledger.ErrInvalidEntry, ""},
			{"NoPostings", []ledger.Entry{{Key: "e1"}}, ledger.ErrInvalidEntry, ""},
			{"MovesNothing", []ledger.Entry{{Key: "e2", Postings: ledger.Transfer("alice", "alice", cny(5))}}, ledger.ErrInvalidEntry, ""},
			{"KeyReusedWithOtherContent", []ledger.Entry{{Key: "fund:alice", Postings: ledger.Transfer("world", "alice", cny(1))}}, ledger.ErrKeyReused, ""},
			{"SumOverflows", []ledger.Entry{{Key: "ov", Postings: []ledger.Posting{
				{Account: "world", Amount: cny(math.MaxInt64)}, {Account: "alice", Amount: cny(math.MaxInt64)},
				{Account: "bob", Amount: cny(-1)}}}}, ledger.ErrOverflow, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := l.Commit(context.Background(), tt.entries...)
				if !errors.Is(err, tt.want) {
					t.Fatalf("Commit = %v, want %v", err, tt.want)
				}
				var ae *ledger.AccountError
				if tt.wantAccount != "" && (!errors.As(err, &ae) || ae.Account != tt.wantAccount) {
					t.Fatalf("error %v does not name account %s", err, tt.wantAccount)
				}
				if e, p := rowCounts(t, d); e != entries0 || p != postings0 {
					t.Fatalf("rows = %d entries, %d postings; want %d, %d", e, p, entries0, postings0)
				}
				if a, b := balance(t, l, "alice"), balance(t, l, "bob"); a != 10_000 || b != 0 {
					t.Fatalf("balances alice=%d bob=%d, want 10000, 0", a, b)
				}
			})
		}
		report, err := l.Check(context.Background())
		if err != nil || !report.OK() {
			t.Fatalf("Check = %+v, %v", report.Problems, err)
		}
	})
}

func TestBalanceOverflowIsRefused(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		l := newTestLedger(t, d, testAccounts...)
		mustCommit(t, l, ledger.Entry{Key: "big", Postings: ledger.Transfer("world", "alice", cny(math.MaxInt64))})
		_, err := l.Commit(context.Background(), ledger.Entry{Key: "more", Postings: ledger.Transfer("world", "alice", cny(1))})
		if !errors.Is(err, ledger.ErrOverflow) {
			t.Fatalf("Commit = %v, want ErrOverflow", err)
		}
		if got := balance(t, l, "alice"); got != math.MaxInt64 {
			t.Fatalf("alice = %d", got)
		}
	})
}

func TestPostIsIdempotentByKey(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		l := newTestLedger(t, d, testAccounts...)
		e := ledger.Entry{Key: "payment:pay_1:captured", Description: "捕获 capture", Postings: ledger.Transfer("world", "alice", cny(1234))}
		first := mustCommit(t, l, e)[0]
		second := mustCommit(t, l, e)[0]
		if first.Replayed || !second.Replayed || second.ID != first.ID || !second.CreatedAt.Equal(first.CreatedAt) {
			t.Fatalf("first %+v, second %+v", first, second)
		}
		// Postings given in another order are the same entry.
		swapped := e
		swapped.Postings = []ledger.Posting{e.Postings[1], e.Postings[0]}
		if p := mustCommit(t, l, swapped)[0]; !p.Replayed || p.ID != first.ID {
			t.Fatalf("swapped postings: %+v", p)
		}
		if got := balance(t, l, "alice"); got != 1234 {
			t.Fatalf("alice = %d, want 1234 (posted once)", got)
		}
		if n, _ := rowCounts(t, d); n != 1 {
			t.Fatalf("%d entries, want 1", n)
		}
	})
}

func TestPostAllInOrder(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		l := newTestLedger(t, d, testAccounts...)
		ctx := context.Background()
		mustCommit(t, l, ledger.Entry{Key: "fund", Postings: ledger.Transfer("world", "alice", cny(100))})
		// Each entry relies on the one before: alice may spend bob's money
		// only after it arrives.
		posted := mustCommit(t, l,
			ledger.Entry{Key: "a", Postings: ledger.Transfer("alice", "bob", cny(100))},
			ledger.Entry{Key: "b", Postings: ledger.Transfer("bob", "alice", cny(70))},
			ledger.Entry{Key: "a", Postings: ledger.Transfer("alice", "bob", cny(100))}, // same key, same content
			ledger.Entry{Key: "c", Postings: ledger.Transfer("alice", "bob", cny(70))},
			ledger.Entry{Key: "fund", Postings: ledger.Transfer("world", "alice", cny(100))}) // posted before
		if posted[2].ID != posted[0].ID || !posted[2].Replayed || posted[0].Replayed || !posted[4].Replayed {
			t.Fatalf("posted = %+v", posted)
		}
		if a, b := balance(t, l, "alice"), balance(t, l, "bob"); a != 0 || b != 100 {
			t.Fatalf("alice=%d bob=%d, want 0 and 100", a, b)
		}
		page, err := l.History(ctx, "alice", 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		var after []int64
		for _, ln := range page.Lines {
			after = append(after, ln.BalanceAfter.Minor())
		}
		if want := []int64{0, 70, 0, 100}; fmt.Sprint(after) != fmt.Sprint(want) {
			t.Fatalf("alice's running balances (newest first) = %v, want %v", after, want)
		}
		if r, err := l.Check(ctx); err != nil || !r.OK() {
			t.Fatalf("Check = %v, %v", r.Problems, err)
		}
	})
}

func TestOpenAccount(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		l := newTestLedger(t, d, testAccounts...)
		ctx := context.Background()
		// Re-opening with the same settings is a no-op.
		if err := l.OpenAccounts(ctx, testAccounts...); err != nil {
			t.Fatal(err)
		}
		for _, spec := range []ledger.AccountSpec{
			{Name: "alice", Currency: "USD"},
			{Name: "alice", Currency: "CNY", AllowNegative: true},
		} {
			if err := l.OpenAccounts(ctx, spec); !errors.Is(err, ledger.ErrAccountConflict) {
				t.Errorf("OpenAccounts(%+v) = %v, want ErrAccountConflict", spec, err)
			}
		}
		for _, spec := range []ledger.AccountSpec{{Name: "", Currency: "CNY"}, {Name: "a b", Currency: "CNY"}, {Name: "zed", Currency: "ZZZ"}} {
			if err := l.OpenAccounts(ctx, spec); err == nil {
				t.Errorf("OpenAccounts(%+v) succeeded", spec)
			}
		}
		a, err := l.Account(ctx, "carol:usd")
		if err != nil || a.Currency != "USD" || a.AllowNegative || !a.Balance.IsZero() {
			t.Fatalf("Account = %+v, %v", a, err)
		}
		if _, err := l.Account(ctx, "nobody"); !errors.Is(err, ledger.ErrAccountNotFound) {
			t.Fatalf("Account(nobody) = %v", err)
		}
	})
}

func TestHistoryPages(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		l := newTestLedger(t, d, testAccounts...)
		ctx := context.Background()
		var entries []ledger.Entry
		for i := 1; i <= 25; i++ {
			entries = append(entries, ledger.Entry{Key: fmt.Sprintf("h%d", i), Description: fmt.Sprintf("deposit %d", i),
				Postings: ledger.Transfer("world", "alice", cny(int64(i)))})
		}
		mustCommit(t, l, entries...)
		var (
			got    []int64
			before int64
			pages  int
		)
		for {
			page, err := l.History(ctx, "alice", before, 10)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, ln := range page.Lines {
				got = append(got, ln.Amount.Minor())
				n := ln.Amount.Minor()
				if want := n * (n + 1) / 2; ln.BalanceAfter.Minor() != want {
					t.Fatalf("line %d balance after = %d, want %d", n, ln.BalanceAfter.Minor(), want)
				}
			}
			if page.Next == 0 {
				break
			}
			before = page.Next
		}
		if pages != 3 || len(got) != 25 || got[0] != 25 || got[24] != 1 {
			t.Fatalf("pages=%d amounts=%v", pages, got)
		}
		if _, err := l.History(ctx, "alice", 0, 0); err == nil {
			t.Fatal("limit 0 accepted")
		}
	})
}

func TestCheckNamesAlteredPosting(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		l := newTestLedger(t, d, testAccounts...)
		ctx := context.Background()
		mustCommit(t, l,
			ledger.Entry{Key: "k1", Postings: ledger.Transfer("world", "alice", cny(500))},
			ledger.Entry{Key: "k2", Postings: ledger.Transfer("alice", "bob", cny(200))})
		if r, err := l.Check(ctx); err != nil || !r.OK() || r.Entries != 2 || r.Postings != 4 || r.Accounts != 5 {
			t.Fatalf("clean Check = %+v, %v", r, err)
		}
		// Someone edits bob's posting by hand.
		if _, err := d.ExecRaw(ctx, `UPDATE ledger_postings SET amount_minor = 2000
WHERE account_id = (SELECT id FROM ledger_accounts WHERE name = 'bob')`); err != nil {
			t.Fatal(err)
		}
		r, err := l.Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]string{}
		for _, p := range r.Problems {
			kinds[p.Kind] = p.Account
		}
		if kinds["balance_mismatch"] != "bob" {
			t.Errorf("balance_mismatch names %q, want bob; problems %v", kinds["balance_mismatch"], r.Problems)
		}
		if _, ok := kinds["unbalanced_entry"]; !ok {
			t.Errorf("no unbalanced_entry in %v", r.Problems)
		}
		if _, ok := kinds["entry_altered"]; !ok {
			t.Errorf("no entry_altered in %v", r.Problems)
		}
	})
}

// TestCheckFindsConsistentForgery alters a posting and its account's balance
// together, which the balance comparison alone would miss.
func TestCheckFindsConsistentForgery(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		l := newTestLedger(t, d, testAccounts...)
		ctx := context.Background()
		mustCommit(t, l, ledger.Entry{Key: "k1", Postings: ledger.Transfer("world", "alice", cny(500))})
		for _, q := range []string{
			`UPDATE ledger_postings SET amount_minor = -900 WHERE account_id = (SELECT id FROM ledger_accounts WHERE name = 'world')`,
			`UPDATE ledger_postings SET amount_minor = 900 WHERE account_id = (SELECT id FROM ledger_accounts WHERE name = 'alice')`,
			`UPDATE ledger_accounts SET balance_minor = 900 WHERE name = 'alice'`,
			`UPDATE ledger_accounts SET balance_minor = -900 WHERE name = 'world'`,
		} {
			if _, err := d.ExecRaw(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		r, err := l.Check(ctx)
		if err != nil || len(r.Problems) != 1 || r.Problems[0].Kind != "entry_altered" || r.Problems[0].Account != "alice,world" {
			t.Fatalf("Check = %v, %v; want one entry_altered naming alice,world", r.Problems, err)
		}
	})
}
