package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
)

func TestNonceStore(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := context.Background()
		clk := clock.NewFake(testStart)
		s := NewNonceStore(d, clk)
		const nonce = "nonce-0123456789abcdef"
		steps := []struct {
			name     string
			advance  time.Duration
			merchant string
			want     error
		}{
			{"First", 0, "mch_a", nil},
			{"Replay", 0, "mch_a", ErrNonceReused},
			{"OtherMerchantSameNonce", 0, "mch_b", nil},
			{"ReplayJustBeforeExpiry", NonceTTL - time.Millisecond, "mch_a", ErrNonceReused},
			{"AfterExpiryUnpruned", time.Millisecond, "mch_a", nil},
			{"ReplayOfTheTakeover", time.Minute, "mch_a", ErrNonceReused},
		}
		for _, st := range steps {
			clk.Advance(st.advance)
			if err := s.Use(ctx, st.merchant, nonce); !errors.Is(err, st.want) || (st.want == nil && err != nil) {
				t.Fatalf("%s: Use = %v, want %v", st.name, err, st.want)
			}
		}
		// mch_b's row (used at testStart) has expired; mch_a's (taken over) has not.
		n, err := s.Prune(ctx)
		if err != nil || n != 1 {
			t.Fatalf("Prune = %d, %v; want 1", n, err)
		}
		if err := s.Use(ctx, "mch_a", nonce); !errors.Is(err, ErrNonceReused) {
			t.Fatalf("after prune, live nonce: %v", err)
		}
		clk.Advance(NonceTTL)
		if n, err := s.Prune(ctx); err != nil || n != 1 {
			t.Fatalf("second Prune = %d, %v; want 1", n, err)
		}
		var rows int
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM auth_nonces`).Scan(&rows); err != nil || rows != 0 {
			t.Fatalf("rows left = %d, %v", rows, err)
		}
	})
}

// useConcurrently has 50 goroutines use one nonce through the given stores
// (round robin) and returns how many were accepted.
func useConcurrently(t *testing.T, stores ...*NonceStore) int {
	t.Helper()
	const n = 50
	var accepted, replays atomic.Int32
	var wg sync.WaitGroup
	errc := make(chan error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := stores[i%len(stores)].Use(context.Background(), "mch_a", "the-same-nonce-for-all")
			switch {
			case err == nil:
				accepted.Add(1)
			case errors.Is(err, ErrNonceReused):
				replays.Add(1)
			default:
				errc <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Errorf("Use: %v", err)
	}
	if int(accepted.Load()+replays.Load()) != n && !t.Failed() {
		t.Errorf("accepted %d + replays %d != %d", accepted.Load(), replays.Load(), n)
	}
	return int(accepted.Load())
}

func TestNonceStoreConcurrent(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		if got := useConcurrently(t, NewNonceStore(d, nil)); got != 1 {
			t.Fatalf("accepted %d times, want exactly once", got)
		}
	})
}

// TestNonceStoreAcrossInstances is two gateway instances (two *db.DB
// handles, two pools) on one PostgreSQL database.
func TestNonceStoreAcrossInstances(t *testing.T) {
	t.Parallel()
	dsn := dbtest.PostgresDSN(t)
	var stores []*NonceStore
	for i := range 2 {
		d, err := db.Open(context.Background(), dsn, db.Options{})
		if err != nil {
			t.Fatalf("open instance %d: %v", i, err)
		}
		t.Cleanup(func() { d.Close() })
		stores = append(stores, NewNonceStore(d, nil))
	}
	for round := range 3 {
		t.Run(fmt.Sprint("Round", round), func(t *testing.T) {
			if got := useConcurrently(t, stores...); got != 1-min(round, 1) {
				t.Fatalf("accepted %d times, want %d", got, 1-min(round, 1))
			}
		})
	}
}
