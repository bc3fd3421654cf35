package banksim

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"paygate/internal/bank/hsm"
	"paygate/internal/bank/iso8583"
	"paygate/internal/clock"
)

var shanghai = time.FixedZone("UTC+8", 8*3600)

func newTestHost(t *testing.T, clk clock.Clock) *Host {
	t.Helper()
	zmk, err := hsm.NewKey(hsm.TDES2, nil)
	if err != nil {
		t.Fatal(err)
	}
	var banks []BankConfig
	for _, name := range []string{"icbc", "intl"} {
		d, err := iso8583.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		banks = append(banks, BankConfig{Name: name, Dialect: d, Addr: "127.0.0.1:0", ZMK: zmk, FeeBasisPoints: 38})
	}
	h, err := New(context.Background(), filepath.Join(t.TempDir(), "bank.db"), banks, Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Stop)
	return h
}

// txnAt is a request of the icbc bank decided at local time at.
func txnAt(h *Host, stan, proc, pan, cur string, amount int64, at time.Time) *txn {
	local, day := h.bank("icbc").businessDay(at)
	return &txn{bank: "icbc", acquirer: "00048020000", stan: stan, de7: at.UTC().Format("0102150405"), mti: "0200",
		proc: proc, pan: pan, currency: cur, rrn: "6329" + stan + "00", auth: "123456", merchant: "PAYGATE00000001",
		terminal: "PG000001", amount: amount, local: local, businessDate: day.Format("20060102")}
}

func TestBusinessDayAndCutoff(t *testing.T) {
	t.Parallel()
	h := newTestHost(t, clock.NewFake(time.Now()))
	b := h.bank("icbc")
	tests := []struct {
		at      time.Time
		day     string
		cutoff  string
		closing string
	}{
		{time.Date(2026, 11, 25, 22, 59, 59, 0, shanghai), "20261125", "2026-11-25 23:00", "20261125"},
		{time.Date(2026, 11, 25, 23, 0, 0, 0, shanghai), "20261126", "2026-11-26 23:00", "20261126"},
		{time.Date(2026, 11, 25, 0, 30, 0, 0, shanghai), "20261125", "2026-11-25 23:00", "20261125"},
	}
	for _, tt := range tests {
		if _, day := b.businessDay(tt.at); day.Format("20060102") != tt.day {
			t.Errorf("business day of %v = %v, want %s", tt.at, day, tt.day)
		}
		at, closing, ok := h.NextCutoff("icbc", tt.at)
		if !ok || at.In(shanghai).Format("2006-01-02 15:04") != tt.cutoff || closing.Format("20060102") != tt.closing {
			t.Errorf("next cut-off after %v = %v closing %v", tt.at, at, closing)
		}
	}
}

// TestReversalIsIdempotent: reversing an approved debit restores the
// balance exactly once; reversing an unknown request is acknowledged and
// refuses that request should it arrive later.
func TestReversalIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newTestHost(t, clock.System{})
	at := time.Now()
	debit := txnAt(h, "000001", "000000", "6222020000000000018", "CNY", 500_00, at)
	if code, err := h.store.debit(ctx, debit); err != nil || code != "00" {
		t.Fatalf("debit %s %v", code, err)
	}
	key := origKey{acquirer: debit.acquirer, stan: debit.stan, de7: debit.de7}
	for i := range 3 {
		if code, err := h.store.reverse(ctx, "icbc", key, debit.rrn); err != nil || code != "00" {
			t.Fatalf("reversal %d: %s %v", i, code, err)
		}
		if bal, _ := h.Balance(ctx, debit.pan, "CNY"); bal != million {
			t.Fatalf("after reversal %d balance %d", i, bal)
		}
	}
	ghost := origKey{acquirer: debit.acquirer, stan: "000777", de7: debit.de7}
	if code, err := h.store.reverse(ctx, "icbc", ghost, "x"); err != nil || code != "25" {
		t.Fatalf("reversal of an unknown request: %s %v", code, err)
	}
	late := txnAt(h, "000777", "000000", "6222020000000000018", "CNY", 1_00, at)
	if code, err := h.store.debit(ctx, late); err != nil || code != "12" {
		t.Fatalf("original after its reversal: %s %v", code, err)
	}
	if bal, _ := h.Balance(ctx, debit.pan, "CNY"); bal != million {
		t.Fatalf("balance %d", bal)
	}
	if code, err := h.store.debit(ctx, debit); err != nil || code != "12" {
		t.Fatalf("repeated reversed original: %s %v", code, err)
	}
	again := txnAt(h, "000002", "000000", "6222020000000000018", "CNY", 1_00, at)
	if code, err := h.store.debit(ctx, again); err != nil || code != "00" {
		t.Fatalf("debit %s %v", code, err)
	}
	if _, err := h.store.debit(ctx, again); err != errDuplicate {
		t.Fatalf("repeated original: %v", err)
	}
	if bal, _ := h.Balance(ctx, debit.pan, "CNY"); bal != million-1_00 {
		t.Fatalf("a duplicate moved money: balance %d", bal)
	}
}

// TestSettlementFile writes a day with a debit, a refund, a credit, a
// reversed debit, a decline and a transaction after the cut-off, and
// checks header, lines and trailer.
func TestSettlementFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC))
	h := newTestHost(t, clk)
	day := time.Date(2026, 11, 25, 10, 0, 0, 0, shanghai)
	pan := "6222020000000000018"
	steps := []struct {
		t    *txn
		op   func(context.Context, *txn) (string, error)
		code string
	}{
		{txnAt(h, "000001", "000000", pan, "CNY", 100_00, day), h.store.debit, "00"},
		{txnAt(h, "000002", "000000", pan, "CNY", 2_000_000_00, day), h.store.debit, "51"},
		{txnAt(h, "000003", "000000", pan, "CNY", 7_00, day), h.store.debit, "00"},
		{txnAt(h, "000004", "210000", pan, "CNY", 30_00, day), h.store.credit, "00"},
		{txnAt(h, "000006", "000000", pan, "CNY", 1_00, day.Add(13*time.Hour+30*time.Minute)), h.store.debit, "00"}, // 23:30: next day
	}
	for _, s := range steps {
		if code, err := s.op(ctx, s.t); err != nil || code != s.code {
			t.Fatalf("stan %s: %s %v, want %s", s.t.stan, code, err, s.code)
		}
	}
	refund := txnAt(h, "000005", "200000", pan, "CNY", 40_00, day)
	refund.orig = &origKey{acquirer: "00048020000", stan: "000001", de7: steps[0].t.de7}
	if code, err := h.store.refund(ctx, refund); err != nil || code != "00" {
		t.Fatalf("refund %s %v", code, err)
	}
	if code, _ := h.store.reverse(ctx, "icbc", origKey{acquirer: "00048020000", stan: "000003", de7: steps[2].t.de7}, ""); code != "00" {
		t.Fatalf("reversal %s", code)
	}

	var buf bytes.Buffer
	totals, err := h.Settle(ctx, "icbc", day, &buf)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		"H|icbc|20261125|20261126|001",
		"D|20261125|100000|PAYGATE00000001|PG000001|000001|6329000001" + "00|622202*********0018|0200|000000|CNY|10000|38|9962|123456|00||1125",
		"D|20261125|100000|PAYGATE00000001|PG000001|000004|6329000004" + "00|622202*********0018|0200|210000|CNY|-3000|-11|-2989|123456|00||1125",
		"D|20261125|100000|PAYGATE00000001|PG000001|000005|6329000005" + "00|622202*********0018|0200|200000|CNY|-4000|-15|-3985|123456|00|632900000100|1125",
		"T|CNY|3|3000|12|2988",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("settlement file:\n%s\nwant:\n%s", buf.String(), strings.Join(want, "\n"))
	}
	if len(totals) != 1 || totals[0].Count != 3 || totals[0].Amount != 30_00 {
		t.Fatalf("totals %+v", totals)
	}
	path, err := h.WriteSettlementFile(ctx, t.TempDir(), "icbc", day)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, buf.Bytes()) || filepath.Base(path) != "icbc_20261125.txt" {
		t.Fatalf("file %s differs", path)
	}
}

func TestPINIsNotStored(t *testing.T) {
	t.Parallel()
	h := newTestHost(t, clock.System{})
	var hash string
	if err := h.store.db.QueryRow(context.Background(), `SELECT pin_hash FROM sim_cards WHERE pan = ?`, "6222020000000000018").Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(hash, "123456") || !pinMatches(hash, "6222020000000000018", "123456") || pinMatches(hash, "6222020000000000018", "654321") {
		t.Fatalf("pin hash %q", hash)
	}
}
