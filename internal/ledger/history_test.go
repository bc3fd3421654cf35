package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/id"
	"paygate/internal/ledger"
	"paygate/internal/money"
)

// TestSearchFilters posts one entry a day for ten days, alternating in
// and out of alice, and checks that Search filters by date range and
// direction, pages within the filter, keeps each line's running balance,
// and agrees with History when nothing is filtered.
func TestSearchFilters(t *testing.T) {
	t.Parallel()
	dbtest.EngineDSNs(t, func(t *testing.T, _ db.Engine, dsn string) {
		ctx := context.Background()
		day0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		c := clock.NewFake(day0)
		d := dbtest.Open(t, dsn, db.Options{Clock: c})
		l := ledger.New(d, id.NewGenerator(c.Now, nil))
		if err := l.OpenAccounts(ctx, testAccounts...); err != nil {
			t.Fatal(err)
		}
		// Day i (0–9): even days 100·(i+1) in from world, odd days 10·i out to bob.
		for i := range 10 {
			c.Set(day0.Add(time.Duration(i) * 24 * time.Hour))
			e := ledger.Entry{Key: fmt.Sprintf("d%d", i), Description: fmt.Sprintf("day %d", i),
				Postings: ledger.Transfer("world", "alice", cny(int64(100*(i+1))))}
			if i%2 == 1 {
				e.Postings = ledger.Transfer("alice", "bob", cny(int64(10*i)))
			}
			mustCommit(t, l, e)
		}
		days := func(p ledger.Page) []string {
			var out []string
			for _, ln := range p.Lines {
				out = append(out, ln.Description)
			}
			return out
		}
		search := func(f ledger.HistoryFilter) ledger.Page {
			t.Helper()
			p, err := l.Search(ctx, "alice", f)
			if err != nil {
				t.Fatalf("Search(%+v): %v", f, err)
			}
			return p
		}
		at := func(i int) time.Time { return day0.Add(time.Duration(i) * 24 * time.Hour).Truncate(24 * time.Hour) }

		tests := []struct {
			name string
			f    ledger.HistoryFilter
			want []string
		}{
			{"All", ledger.HistoryFilter{Limit: 100}, []string{"day 9", "day 8", "day 7", "day 6", "day 5", "day 4", "day 3", "day 2", "day 1", "day 0"}},
			{"In", ledger.HistoryFilter{Direction: ledger.DirectionIn, Limit: 100}, []string{"day 8", "day 6", "day 4", "day 2", "day 0"}},
			{"Out", ledger.HistoryFilter{Direction: ledger.DirectionOut, Limit: 100}, []string{"day 9", "day 7", "day 5", "day 3", "day 1"}},
			{"FromInclusive", ledger.HistoryFilter{From: at(7), Limit: 100}, []string{"day 9", "day 8", "day 7"}},
			{"ToExclusive", ledger.HistoryFilter{To: at(2), Limit: 100}, []string{"day 1", "day 0"}},
			{"RangeAndDirection", ledger.HistoryFilter{From: at(2), To: at(6), Direction: ledger.DirectionOut, Limit: 100}, []string{"day 5", "day 3"}},
			{"EmptyRange", ledger.HistoryFilter{From: at(5), To: at(5), Limit: 100}, nil},
			{"Page", ledger.HistoryFilter{Direction: ledger.DirectionIn, Limit: 2}, []string{"day 8", "day 6"}},
		}
		for _, tt := range tests {
			if diff := cmp.Diff(tt.want, days(search(tt.f))); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.name, diff)
			}
		}

		// Paging within a filter visits every match once.
		var got []string
		f := ledger.HistoryFilter{Direction: ledger.DirectionIn, Limit: 2}
		for {
			p := search(f)
			got = append(got, days(p)...)
			if p.Next == 0 {
				break
			}
			f.Before = p.Next
		}
		if diff := cmp.Diff([]string{"day 8", "day 6", "day 4", "day 2", "day 0"}, got); diff != "" {
			t.Errorf("paged (-want +got):\n%s", diff)
		}

		// Unfiltered, it is History; balances are the account's running ones.
		h, err := l.History(ctx, "alice", 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(h, search(ledger.HistoryFilter{Limit: 100}), cmp.AllowUnexported(money.Amount{})); diff != "" {
			t.Errorf("Search vs History (-history +search):\n%s", diff)
		}
		out := search(ledger.HistoryFilter{Direction: ledger.DirectionOut, Limit: 1})
		if ln := out.Lines[0]; ln.Amount.Minor() != -90 || ln.BalanceAfter.Minor() != 100+300+500+700+900-10-30-50-70-90 {
			t.Errorf("day 9 line: %+v", ln)
		}

		for _, bad := range []ledger.HistoryFilter{{Limit: 0}, {Limit: 1001}, {Limit: 10, Direction: "sideways"}} {
			if _, err := l.Search(ctx, "alice", bad); !errors.Is(err, ledger.ErrInvalidEntry) {
				t.Errorf("Search(%+v) = %v, want ErrInvalidEntry", bad, err)
			}
		}
		if _, err := l.Search(ctx, "nobody", ledger.HistoryFilter{Limit: 10}); !errors.Is(err, ledger.ErrAccountNotFound) {
			t.Errorf("unknown account: %v", err)
		}
	})
}
