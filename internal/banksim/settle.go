package banksim

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"paygate/internal/bank/iso8583"
	"paygate/internal/money"
)

// Totals are the trailer figures of one currency in a settlement file.
type Totals struct {
	Currency string
	Count    int
	Amount   int64 // signed: debits positive, refunds and credits negative
	Fee      int64
	Net      int64
}

// settledQuery lists the transactions a business day settles: approved
// debits, refunds and credits that were not reversed.
const settledQuery = `SELECT local_time, merchant_id, terminal_id, stan, rrn, pan, mti, proc_code, currency,
	amount_minor, auth_code, resp_code, orig_rrn
FROM sim_txns
WHERE bank = ? AND business_date = ? AND resp_code = '00' AND reversed = 0
  AND proc_code IN ('000000', '200000', '210000')
ORDER BY id`

// Settle writes bank's settlement file for business date day (its
// year-month-day; the time is ignored) to w, in the format of
// docs/settlement-file.md, and returns the trailer totals per currency.
func (h *Host) Settle(ctx context.Context, bank string, day time.Time, w io.Writer) ([]Totals, error) {
	b := h.bank(bank)
	if b == nil {
		return nil, fmt.Errorf("banksim: no bank %q", bank)
	}
	date := day.Format("20060102")
	rows, err := h.store.db.Query(ctx, settledQuery, bank, date)
	if err != nil {
		return nil, fmt.Errorf("banksim: settlement of %s %s: %w", bank, date, err)
	}
	defer rows.Close()
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "H|%s|%s|%s|001\n", bank, date, h.clock.Now().In(b.cfg.Location).Format("20060102"))
	totals := map[string]*Totals{}
	for rows.Next() {
		var (
			local, merchant, terminal, stan, rrn, pan, mti, proc, cur, auth, resp, origRRN string
			amount                                                                         int64
		)
		if err := rows.Scan(&local, &merchant, &terminal, &stan, &rrn, &pan, &mti, &proc, &cur, &amount, &auth, &resp, &origRRN); err != nil {
			return nil, fmt.Errorf("banksim: settlement of %s %s: %w", bank, date, err)
		}
		signed := amount
		if proc != iso8583.ProcPurchase {
			signed = -amount
		}
		fee, err := money.MulRat(money.New(signed, money.Currency(cur)), b.cfg.FeeBasisPoints, 10_000)
		if err != nil {
			return nil, fmt.Errorf("banksim: fee: %w", err)
		}
		net := signed - fee.Minor()
		fmt.Fprintf(bw, "D|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%d|%d|%d|%s|%s|%s|%s\n",
			local[:8], local[8:], merchant, terminal, stan, rrn, maskPAN(pan), mti, proc, cur,
			signed, fee.Minor(), net, auth, resp, origRRN, date[4:])
		t := totals[cur]
		if t == nil {
			t = &Totals{Currency: cur}
			totals[cur] = t
		}
		t.Count++
		t.Amount += signed
		t.Fee += fee.Minor()
		t.Net += net
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("banksim: settlement of %s %s: %w", bank, date, err)
	}
	var out []Totals
	for _, t := range totals {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b Totals) int {
		if a.Currency < b.Currency {
			return -1
		}
		if a.Currency > b.Currency {
			return 1
		}
		return 0
	})
	if len(out) == 0 {
		out = []Totals{{Currency: "CNY"}}
	}
	for _, t := range out {
		fmt.Fprintf(bw, "T|%s|%d|%d|%d|%d\n", t.Currency, t.Count, t.Amount, t.Fee, t.Net)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("banksim: writing settlement file: %w", err)
	}
	return out, nil
}

// SettlementFileName is the name of bank's file for a business day:
// "<bank>_<YYYYMMDD>.txt".
func SettlementFileName(bank string, day time.Time) string {
	return fmt.Sprintf("%s_%s.txt", bank, day.Format("20060102"))
}

// WriteSettlementFile writes bank's file for day into dir (created with
// mode 0750 if missing) atomically — a temporary file renamed into place —
// and returns its path.
func (h *Host) WriteSettlementFile(ctx context.Context, dir, bank string, day time.Time) (string, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("banksim: settlement directory: %w", err)
	}
	path := filepath.Join(dir, SettlementFileName(bank, day))
	f, err := os.CreateTemp(dir, ".settle-*")
	if err != nil {
		return "", fmt.Errorf("banksim: settlement file: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := h.Settle(ctx, bank, day, f); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("banksim: settlement file: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return "", fmt.Errorf("banksim: settlement file: %w", err)
	}
	return path, nil
}

func (h *Host) bank(name string) *bankHost {
	for _, b := range h.banks {
		if b.cfg.Name == name {
			return b
		}
	}
	return nil
}

// NextCutoff returns the first cut-off of bank strictly after now and the
// business day it closes.
func (h *Host) NextCutoff(bank string, now time.Time) (at time.Time, day time.Time, ok bool) {
	b := h.bank(bank)
	if b == nil {
		return time.Time{}, time.Time{}, false
	}
	at, day = b.nextCutoff(now)
	return at, day, true
}

func (b *bankHost) nextCutoff(now time.Time) (at, day time.Time) {
	local := now.In(b.cfg.Location)
	at = time.Date(local.Year(), local.Month(), local.Day(), b.cfg.CutoffHour, 0, 0, 0, b.cfg.Location)
	if !at.After(now) {
		at = at.AddDate(0, 0, 1)
	}
	// The cut-off at hour H of date D closes business day D.
	return at, time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, b.cfg.Location)
}

// settleAtCutoffs writes each bank's file when its business day closes,
// until ctx is done.
func (h *Host) settleAtCutoffs(ctx context.Context) {
	for {
		now := h.clock.Now()
		var (
			next time.Time
			due  []*bankHost
			days []time.Time
		)
		for _, b := range h.banks {
			at, day := b.nextCutoff(now)
			switch {
			case next.IsZero() || at.Before(next):
				next, due, days = at, []*bankHost{b}, []time.Time{day}
			case at.Equal(next):
				due, days = append(due, b), append(days, day)
			}
		}
		t := time.NewTimer(next.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		for i, b := range due {
			path, err := h.WriteSettlementFile(ctx, h.dir, b.cfg.Name, days[i])
			if err != nil {
				h.log.Error("writing settlement file at cut-off", "bank", b.cfg.Name, "err", err)
				continue
			}
			h.log.Info("settlement file written at cut-off", "bank", b.cfg.Name, "path", path)
		}
	}
}
