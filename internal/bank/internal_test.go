package bank

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"paygate/internal/bank/hsm"
	"paygate/internal/bank/iso8583"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/id"
	"paygate/internal/money"
)

func TestSTANWraps(t *testing.T) {
	t.Parallel()
	c := newSTANCounter(999_998)
	got := []string{c.next(), c.next(), c.next(), c.next()}
	if want := "999998 999999 000001 000002"; strings.Join(got, " ") != want {
		t.Fatalf("STANs %v, want %s", got, want)
	}
	if s := newSTANCounter(0).next(); s != "000001" {
		t.Fatalf("default start %s", s)
	}
}

func TestMakeRRN(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	if got := makeRRN(at, "000123"); got != "632909000123" {
		t.Fatalf("RRN %s", got)
	}
}

func TestRequestNeverPrintsSecrets(t *testing.T) {
	t.Parallel()
	r := Request{PAN: "6222020000000000018", PIN: "123456", Amount: money.New(100, money.CNY)}
	for _, s := range []string{fmt.Sprint(r), fmt.Sprintf("%+v", r), fmt.Sprintf("%#v", r), fmt.Sprintf("%v", []Request{r}), r.LogValue().String()} {
		if strings.Contains(s, "123456") || strings.Contains(s, "6222020000000000018") || !strings.Contains(s, "622202*********0018") {
			t.Fatalf("printed %q", s)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	tdes, _ := hsm.NewKey(hsm.TDES2, nil)
	aes, _ := hsm.NewKey(hsm.AES128, nil)
	d, _ := iso8583.Lookup("icbc")
	good := Config{Name: "icbc", Dialect: d, Addr: "x:1", AcquirerID: "48020000", MerchantID: "M", TerminalID: "T", ZMK: tdes}
	tests := []struct {
		name string
		mod  func(*Config)
		ok   bool
	}{
		{"Good", func(*Config) {}, true},
		{"NoZMK", func(c *Config) { c.ZMK = hsm.Key{} }, false},
		{"AcquirerNotDigits", func(c *Config) { c.AcquirerID = "ABC" }, false},
		{"X919WithAESZMK", func(c *Config) { c.ZMK = aes }, false},
		{"CMACWithAESZMK", func(c *Config) { c.ZMK, c.MAC = aes, hsm.AlgAESCMAC }, true},
		{"TerminalTooLong", func(c *Config) { c.TerminalID = "123456789" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := good
			tt.mod(&c)
			err := c.withDefaults().validate()
			if (err == nil) != tt.ok {
				t.Fatalf("validate = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && strings.Contains(err.Error(), "kcv") {
				t.Fatalf("error mentions key material: %v", err)
			}
		})
	}
}

// TestClaimIsExclusive: several workers claiming the same queue at once
// never get the same reversal twice (FOR UPDATE SKIP LOCKED on
// PostgreSQL, the single writer on SQLite), and a claimed row is leased.
func TestClaimIsExclusive(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := &reversalStore{db: d, ids: id.NewGenerator(nil, nil)}
		const n = 60
		for i := range n {
			_, err := s.enqueue(ctx, &reversalRecord{Bank: "icbc", AcquirerID: "48020000", OriginalMTI: "0200",
				OriginalSTAN: fmt.Sprintf("%06d", i+1), OriginalTime: "1125093000", RRN: "x", ProcessingCode: "000000",
				AmountMinor: 1, Currency: "156", TerminalID: "T", MerchantID: "M", ReasonCode: "68"})
			if err != nil {
				t.Fatal(err)
			}
		}
		// Enqueueing the same original again is a no-op that returns the same row.
		first, _ := s.enqueue(ctx, &reversalRecord{Bank: "icbc", AcquirerID: "48020000", OriginalSTAN: "000001", OriginalTime: "1125093000",
			OriginalMTI: "0200", ProcessingCode: "000000", Currency: "156"})
		again, _ := s.enqueue(ctx, &reversalRecord{Bank: "icbc", AcquirerID: "48020000", OriginalSTAN: "000001", OriginalTime: "1125093000",
			OriginalMTI: "0200", ProcessingCode: "000000", Currency: "156"})
		if first == "" || first != again {
			t.Fatalf("re-enqueue gave %q and %q", first, again)
		}
		now := time.Now().Add(time.Second)
		seen := map[string]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				for {
					recs, err := s.claim(ctx, "icbc", now, 7, func(int) time.Duration { return time.Hour })
					if err != nil {
						t.Error(err)
						return
					}
					if len(recs) == 0 {
						return
					}
					mu.Lock()
					for _, r := range recs {
						seen[r.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != n {
			t.Fatalf("claimed %d distinct reversals, want %d", len(seen), n)
		}
		for id, k := range seen {
			if k != 1 {
				t.Fatalf("%s claimed %d times", id, k)
			}
		}
		if n, _ := s.pending(ctx, "icbc", now); n != 60 {
			t.Fatalf("pending %d", n)
		}
	})
}

// TestArmedReversals: armed rows are claimed only once overdue (and then
// turned pending, so their owner can no longer delete them), deleted by
// their owner on an answer, and turned pending in place on an unknown
// outcome; an armed row's keys cannot be armed twice.
func TestArmedReversals(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ids := id.NewGenerator(nil, nil)
		s := &reversalStore{db: d, ids: ids}
		now := time.Now()
		rec := func(stan, ref string) *reversalRecord {
			return &reversalRecord{ID: ids.New(PrefixReversal), Bank: "icbc", AcquirerID: "48020000", OriginalMTI: "0200",
				OriginalSTAN: stan, OriginalTime: "1125093000", RRN: "6329090" + stan[1:], ProcessingCode: "000000",
				AmountMinor: 100, Currency: "156", TerminalID: "T", MerchantID: "M", ReasonCode: ReasonTimeout, ClientRef: ref}
		}
		answered, abandoned, unknown := rec("000001", "att_1"), rec("000002", "att_2"), rec("000003", "att_3")
		for _, a := range []struct {
			r   *reversalRecord
			due time.Time
		}{{answered, now.Add(time.Hour)}, {abandoned, now.Add(-time.Second)}, {unknown, now.Add(time.Hour)}} {
			if err := s.arm(ctx, a.r, a.due); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.arm(ctx, rec("000003", "att_other"), now.Add(time.Hour)); err == nil {
			t.Fatal("armed the keys of another request's reversal")
		}
		if n, _ := s.pending(ctx, "icbc", now); n != 1 {
			t.Fatalf("pending %d, want the one overdue armed row", n)
		}

		got, err := s.claim(ctx, "icbc", now, 10, func(int) time.Duration { return time.Minute })
		if err != nil || len(got) != 1 || got[0].ID != abandoned.ID || !got[0].Abandoned || got[0].ClientRef != "att_2" {
			t.Fatalf("claim = %+v, %v; want only the overdue armed row", got, err)
		}
		if r, _ := s.getByClientRef(ctx, "icbc", "48020000", "att_2"); r.State != ReversalPending {
			t.Fatalf("claimed armed row is %s, want pending", r.State)
		}
		if ok, err := s.disarm(ctx, abandoned.ID); ok || err != nil {
			t.Fatalf("disarm of a row taken over = %v, %v; want false", ok, err)
		}

		if ok, err := s.disarm(ctx, answered.ID); !ok || err != nil {
			t.Fatalf("disarm = %v, %v", ok, err)
		}
		if _, err := s.getByClientRef(ctx, "icbc", "48020000", "att_1"); !errors.Is(err, ErrReversalNotFound) {
			t.Fatalf("answered request still has a reversal: %v", err)
		}

		for range 2 { // pend is idempotent: one row, the armed one
			rid, err := s.pend(ctx, unknown, ReasonBadMAC)
			if err != nil || rid != unknown.ID {
				t.Fatalf("pend = %q, %v; want %s", rid, err, unknown.ID)
			}
		}
		r, err := s.get(ctx, "icbc", "48020000", Reference{STAN: "000003", TransmissionTime: "1125093000"})
		if err != nil || r.State != ReversalPending || r.ReasonCode != ReasonBadMAC || r.ClientRef != "att_3" {
			t.Fatalf("after pend: %+v, %v", r, err)
		}
		if rid, err := s.enqueue(ctx, unknown); err != nil || rid != unknown.ID {
			t.Fatalf("late-reply enqueue = %q, %v; want %s", rid, err, unknown.ID)
		}
		if n, _ := s.pending(ctx, "icbc", now); n != 2 {
			t.Fatalf("pending %d, want 2", n)
		}
	})
}
