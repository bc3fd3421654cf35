package payment

import (
	"context"
	"fmt"
	"strings"
	"time"

	"paygate/internal/money"
)

// SearchFilter selects a merchant's payments for [Service.Search]. Zero
// fields do not filter.
type SearchFilter struct {
	CreatedFrom time.Time // inclusive
	CreatedTo   time.Time // exclusive
	Status      Status
	// MerchantOrderNo is the exact order number.
	MerchantOrderNo string
	// MinAmount and MaxAmount bound the amount, both inclusive, in their
	// currency (a bound selects payments in its currency only); a zero
	// amount does not bound.
	MinAmount, MaxAmount money.Amount
	// Method is the channel that took the money ("bankcard", "account"):
	// payments with an approved attempt through it.
	Method string
	// After is the cursor: the next value of the previous page ("" for
	// the first page).
	After string
	Limit int // page size, 1–1000
}

// MaxSearchLimit is the largest page [Service.Search] returns.
const MaxSearchLimit = 1000

// Search returns the merchant's payments that match f, newest first, and
// the cursor of the next page ("" when there is none). It never returns
// another merchant's payment, whatever f says. Errors: [ErrInvalid] (a
// bad limit, status or amount bounds).
func (s *Service) Search(ctx context.Context, merchantID string, f SearchFilter) ([]Payment, string, error) {
	bad := func(msg string) error { return fmt.Errorf("%w: %s", ErrInvalid, msg) }
	if f.Limit < 1 || f.Limit > MaxSearchLimit {
		return nil, "", bad(fmt.Sprintf("limit must be 1–%d", MaxSearchLimit))
	}
	switch f.Status {
	case "", Created, Processing, Succeeded, Closed:
	default:
		return nil, "", bad(fmt.Sprintf("unknown status %q", f.Status))
	}
	if !f.MinAmount.IsZero() && !f.MaxAmount.IsZero() {
		if c, err := f.MinAmount.Cmp(f.MaxAmount); err != nil || c > 0 {
			return nil, "", bad("the amount bounds must be in one currency, the lower one first")
		}
	}
	var (
		where = []string{"merchant_id = ?"}
		args  = []any{merchantID}
	)
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if !f.CreatedFrom.IsZero() {
		add("created_at >= ?", f.CreatedFrom.UTC())
	}
	if !f.CreatedTo.IsZero() {
		add("created_at < ?", f.CreatedTo.UTC())
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	if f.MerchantOrderNo != "" {
		add("merchant_order_no = ?", f.MerchantOrderNo)
	}
	if !f.MinAmount.IsZero() {
		add("currency = ? AND amount_minor >= ?", string(f.MinAmount.Currency()), f.MinAmount.Minor())
	}
	if !f.MaxAmount.IsZero() {
		add("currency = ? AND amount_minor <= ?", string(f.MaxAmount.Currency()), f.MaxAmount.Minor())
	}
	if f.Method != "" {
		add(paidWith, f.Method)
	}
	if f.After != "" {
		add("id < ?", f.After)
	}
	q := selectPayment + ` WHERE ` + strings.Join(where, " AND ") + ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit+1)
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("search payments: %w", err)
	}
	defer rows.Close()
	var out []Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, "", fmt.Errorf("search payments: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("search payments: %w", err)
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[f.Limit-1].ID
	}
	return out, next, nil
}

// PaidMethods returns, for each of the merchant's payments among ids that
// has an approved attempt, the channel that took the money ("bankcard",
// "account"). Ids of other merchants' payments are left out.
func (s *Service) PaidMethods(ctx context.Context, merchantID string, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, merchantID)
		for _, id := range chunk {
			args = append(args, id)
		}
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")
		rows, err := s.db.Query(ctx, fmt.Sprintf(selectPaidMethods, marks), args...)
		if err != nil {
			return nil, fmt.Errorf("paid methods: %w", err)
		}
		for rows.Next() {
			var id, ch string
			if err := rows.Scan(&id, &ch); err != nil {
				rows.Close()
				return nil, fmt.Errorf("paid methods: %w", err)
			}
			out[id] = ch
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("paid methods: %w", err)
		}
	}
	return out, nil
}

const (
	// paidWith keeps payments with an approved attempt through a channel.
	paidWith = `EXISTS (SELECT 1 FROM payment_attempts a WHERE a.payment_id = payments.id AND a.state = 'approved' AND a.channel = ?)`
	// selectPaidMethods finds the approved attempts of some payments.
	selectPaidMethods = `SELECT a.payment_id, a.channel FROM payment_attempts a JOIN payments p ON p.id = a.payment_id
WHERE p.merchant_id = ? AND a.state = 'approved' AND a.payment_id IN (%s)`
)
