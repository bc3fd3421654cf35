package bank_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"paygate/internal/bank"
	"paygate/internal/banksim"
	"paygate/internal/db/dbtest"
)

// BenchmarkDebit measures approved debits per second against the simulator
// on loopback, over one link and over four, with 256 requests in flight.
// The simulator's SQLite store (one writer) is part of what is measured.
func BenchmarkDebit(b *testing.B) {
	for _, links := range []int{1, 4} {
		b.Run(fmt.Sprintf("links=%d", links), func(b *testing.B) {
			e := newSim(b, banksim.Faults{})
			cfg := e.config(b, "icbc")
			cfg.Links = links
			c := start(b, cfg, dbtest.NewSQLite(b), bank.Options{})
			ctx := context.Background()
			waitFor(b, "all links up", 5*time.Second, func() bool {
				st, _ := c.Status(ctx)
				up := 0
				for _, l := range st.Links {
					if l.SignedOn {
						up++
					}
				}
				return up == links
			})
			var next atomic.Int64
			b.ResetTimer()
			begin := time.Now()
			var wg sync.WaitGroup
			for range 256 {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						r, err := c.Debit(ctx, bank.Request{PAN: cardOK, PIN: icbcPIN, Amount: cny(1)})
						if err != nil || r.Outcome != bank.Approved {
							b.Errorf("debit: %+v %v", r, err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(begin).Seconds(), "debits/s")
		})
	}
}
