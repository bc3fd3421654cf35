package db_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"paygate/internal/db"
	"paygate/internal/db/dbtest"
)

// TestConcurrentTransactionsFailAlone runs many write transactions at once:
// on SQLite they share commits, so this checks that one that fails or panics
// takes none of its neighbours' writes with it, and leaves none of its own.
func TestConcurrentTransactionsFailAlone(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		mustExec(t, d, `CREATE TABLE grouped (n INTEGER PRIMARY KEY)`)
		boom := errors.New("boom")
		var wg sync.WaitGroup
		errs := make([]error, 200)
		panics := make([]any, 200)
		for i := range 200 {
			wg.Go(func() {
				defer func() { panics[i] = recover() }()
				errs[i] = d.InTx(ctx, func(tx *db.Tx) error {
					if _, err := tx.Exec(ctx, `INSERT INTO grouped (n) VALUES (?)`, i); err != nil {
						return err
					}
					switch {
					case i%3 == 0:
						return boom
					case i%10 == 1:
						panic(fmt.Sprint("panic ", i))
					}
					return nil
				})
			})
		}
		wg.Wait()
		var want []int
		for i := range 200 {
			switch {
			case i%3 == 0:
				if !errors.Is(errs[i], boom) {
					t.Errorf("tx %d: err %v, want boom", i, errs[i])
				}
			case i%10 == 1:
				if panics[i] != fmt.Sprint("panic ", i) {
					t.Errorf("tx %d: panic %v not re-raised in its caller", i, panics[i])
				}
			default:
				if errs[i] != nil {
					t.Errorf("tx %d: %v", i, errs[i])
				}
				want = append(want, i)
			}
		}
		rows, err := d.Query(ctx, `SELECT n FROM grouped`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []int
		for rows.Next() {
			var n int
			rows.Scan(&n)
			got = append(got, n)
		}
		sort.Ints(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("committed rows (-want +got):\n%s", diff)
		}
	})
}

func TestInTxAfterClose(t *testing.T) {
	t.Parallel()
	d := dbtest.NewSQLite(t)
	d.Close()
	if err := d.InTx(context.Background(), func(*db.Tx) error { return nil }); err == nil {
		t.Fatal("InTx after Close succeeded")
	}
}
