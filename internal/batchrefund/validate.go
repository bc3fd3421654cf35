package batchrefund

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"paygate/internal/db"
	"paygate/internal/money"
	"paygate/internal/payment"
)

// Limits of the optional cells, as the payment service takes them.
const (
	maxRefundNo = 64
	maxReason   = 256 // characters
)

// Validate reads a sheet uploaded by a merchant, checks every line against
// the merchant's payments and stores the batch as [Validated]; nothing
// moves. A file that cannot be read at all is an error ([ErrSheetInvalid]
// saying why); bad lines are reported in the returned lines, in sheet
// order, each with a problem code and message.
func (s *Service) Validate(ctx context.Context, merchantID, fileName string, data []byte) (Batch, []Line, error) {
	lines, err := readSheet(fileName, data, limits{maxLines: s.opts.MaxLines, maxBytes: s.opts.MaxBytes})
	if err != nil {
		return Batch{}, nil, err
	}
	decs := precheck(lines)
	orders, err := s.lookUp(ctx, merchantID, lines)
	if err != nil {
		return Batch{}, nil, err
	}
	b := Batch{
		ID: s.opts.IDs.New(idPrefix), MerchantID: merchantID, FileName: baseName(fileName),
		State: Validated, Lines: len(lines),
	}
	b.Total, err = check(lines, decs, orders)
	if err != nil {
		return Batch{}, nil, err
	}
	b.Refunded = money.Zero(b.Total.Currency())
	for i := range lines {
		l := &lines[i]
		l.MerchantOrderNo, l.AmountText, l.MerchantRefundNo, l.Reason = keep(l.MerchantOrderNo), keep(l.AmountText), keep(l.MerchantRefundNo), keep(l.Reason)
		if l.Problem == "" {
			b.Good++
		} else {
			b.Bad++
		}
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		b.CreatedAt = tx.Now()
		return insertBatch(ctx, tx, b, lines)
	})
	if err != nil {
		return Batch{}, nil, fmt.Errorf("store refund batch: %w", err)
	}
	s.log.InfoContext(ctx, "refund sheet validated", "merchant_id", merchantID, "batch_id", b.ID,
		"lines", b.Lines, "good", b.Good, "bad", b.Bad)
	return b, lines, nil
}

// precheck checks what needs no look-up — the order number is there, the
// refund number and reason fit, the amount is a positive decimal — and
// returns each line's amount normalized ("" for a line with a problem).
func precheck(lines []Line) []string {
	decs := make([]string, len(lines))
	for i := range lines {
		l := &lines[i]
		switch {
		case l.MerchantOrderNo == "":
			l.Problem, l.Message = ProblemMissingOrder, "The merchant order number is empty."
		case len(l.MerchantRefundNo) > maxRefundNo || !printableNoSpace(l.MerchantRefundNo):
			l.Problem, l.Message = ProblemRefundNoInvalid, fmt.Sprintf("The refund number must be at most %d bytes of printable characters, without spaces.", maxRefundNo)
		case utf8.RuneCountInString(l.Reason) > maxReason:
			l.Problem, l.Message = ProblemReasonTooLong, fmt.Sprintf("The reason must be at most %d characters.", maxReason)
		default:
			decs[i], l.Problem, l.Message = normalizeAmount(l.AmountText)
		}
	}
	return decs
}

// printableNoSpace reports whether s is printable characters other than
// spaces, as the payment service wants a merchant refund number.
func printableNoSpace(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return utf8.ValidString(s)
}

// order is what validation needs to know about the payment of one order
// number.
type order struct {
	pay   payment.Payment
	found bool
	left  money.Amount    // paid − refunded − in flight, less the sheet's earlier good lines
	open  bool            // the refund window is open
	used  map[string]bool // merchant refund numbers of its refunds
	taken []int           // line numbers of the sheet's good lines for it
}

// lookUp finds the payment of every order number that passed [precheck],
// with what is left to refund on it, concurrently.
func (s *Service) lookUp(ctx context.Context, merchantID string, lines []Line) (map[string]*order, error) {
	orders := map[string]*order{}
	var nos []string
	for _, l := range lines {
		if l.Problem != "" {
			continue
		}
		o := orders[l.MerchantOrderNo]
		if o == nil {
			o = &order{}
			orders[l.MerchantOrderNo] = o
			nos = append(nos, l.MerchantOrderNo)
		}
		if l.MerchantRefundNo != "" && o.used == nil {
			o.used = map[string]bool{} // to be filled: the line names a refund number
		}
	}
	err := forEach(ctx, len(nos), s.opts.Workers, func(ctx context.Context, i int) error {
		o := orders[nos[i]]
		p, err := s.payments.FindByOrderNo(ctx, merchantID, nos[i])
		if errors.Is(err, payment.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("look up order %q: %w", nos[i], err)
		}
		o.pay, o.found = p, true
		if p.Status != payment.Succeeded {
			return nil
		}
		if o.left, o.open, err = s.payments.Refundable(ctx, p); err != nil {
			return fmt.Errorf("refundable of %s: %w", p.ID, err)
		}
		if o.used != nil {
			refunds, err := s.payments.Refunds(ctx, merchantID, p.ID)
			if err != nil {
				return fmt.Errorf("refunds of %s: %w", p.ID, err)
			}
			for _, r := range refunds {
				o.used[r.MerchantRefundNo] = true
			}
		}
		return nil
	})
	return orders, err
}

// check runs the checks that need the payments, line by line in sheet
// order, and returns the sum of the good lines. The sheet's currency is
// that of its first good line.
func check(lines []Line, decs []string, orders map[string]*order) (money.Amount, error) {
	var (
		total   money.Amount
		haveCur bool
		seen    = map[string]bool{} // order, amount, refund number of earlier lines
		sheetNo = map[string]int{}  // payment id + refund number → the good line that used it
	)
	for i := range lines {
		l := &lines[i]
		if l.Problem != "" {
			continue
		}
		key := l.MerchantOrderNo + "\x00" + canonicalDecimal(decs[i]) + "\x00" + l.MerchantRefundNo
		if seen[key] {
			l.Problem, l.Message = ProblemDuplicateLine, "This line repeats an earlier line (same order, amount and refund number); give each refund of one order its own refund number if both are meant."
			continue
		}
		seen[key] = true
		o := orders[l.MerchantOrderNo]
		if !o.found {
			l.Problem, l.Message = ProblemOrderNotFound, "No payment of yours has this merchant order number."
			continue
		}
		l.PaymentID = o.pay.ID
		cur := o.pay.Amount.Currency()
		if l.Amount, l.Problem, l.Message = parseAmount(decs[i], cur); l.Problem != "" {
			continue
		}
		switch {
		case o.pay.Status != payment.Succeeded:
			l.Problem, l.Message = ProblemNotRefundable, fmt.Sprintf("The payment of this order has not succeeded (it is %s); there is nothing to refund.", o.pay.Status)
			continue
		case !o.open:
			l.Problem, l.Message = ProblemWindowPassed, "The payment succeeded too long ago to be refunded"+paidOn(o.pay)+"."
			continue
		case l.MerchantRefundNo != "" && o.used[l.MerchantRefundNo]:
			l.Problem, l.Message = ProblemRefundNoUsed, "This refund number was already used for a refund of this order."
			continue
		case l.MerchantRefundNo != "" && sheetNo[o.pay.ID+"\x00"+l.MerchantRefundNo] > 0:
			l.Problem, l.Message = ProblemRefundNoUsed, fmt.Sprintf("Line %d of this sheet already uses this refund number for this order.", sheetNo[o.pay.ID+"\x00"+l.MerchantRefundNo])
			continue
		case haveCur && cur != total.Currency():
			l.Problem, l.Message = ProblemCurrencyMismatch, fmt.Sprintf("The payment is in %s but the sheet's first good line is in %s; refund it in a sheet of its own.", cur, total.Currency())
			continue
		}
		if c, err := l.Amount.Cmp(o.left); err != nil {
			return money.Amount{}, err
		} else if c > 0 {
			l.Problem, l.Message = ProblemAmountExceeds, exceedsMessage(l.Amount, o)
			continue
		}
		left, err := o.left.Sub(l.Amount)
		if err != nil {
			return money.Amount{}, err
		}
		if !haveCur {
			total, haveCur = money.Zero(cur), true
		}
		if total, err = total.Add(l.Amount); err != nil {
			return money.Amount{}, err
		}
		o.left, o.taken = left, append(o.taken, l.No)
		if l.MerchantRefundNo != "" {
			sheetNo[o.pay.ID+"\x00"+l.MerchantRefundNo] = l.No
		}
	}
	if !haveCur {
		total = money.Zero(money.CNY)
	}
	return total, nil
}

func exceedsMessage(a money.Amount, o *order) string {
	if len(o.taken) == 0 {
		return fmt.Sprintf("Refund %s is more than the %s left to refund on this order.", a.Format(), o.left.Format())
	}
	var nos []string
	for i, n := range o.taken {
		if i == 5 {
			nos = append(nos, "…")
			break
		}
		nos = append(nos, strconv.Itoa(n))
	}
	return fmt.Sprintf("Refund %s is more than the %s left to refund on this order after the earlier lines of this sheet for it (lines %s).",
		a.Format(), o.left.Format(), strings.Join(nos, ", "))
}

func paidOn(p payment.Payment) string {
	if p.PaidAt == nil {
		return ""
	}
	return " (it succeeded on " + p.PaidAt.Format("2006-01-02") + ")"
}

// canonicalDecimal writes equal amounts alike: "12.30" and "12.3" → "12.3",
// "12.00" → "12".
func canonicalDecimal(dec string) string {
	if !strings.Contains(dec, ".") {
		return dec
	}
	return strings.TrimSuffix(strings.TrimRight(dec, "0"), ".")
}

// baseName keeps the last element of an uploaded file's name, at most 200
// characters.
func baseName(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == "/" {
		return ""
	}
	if r := []rune(name); len(r) > 200 {
		name = string(r[:200])
	}
	return name
}

// forEach calls fn(i) for i in [0, n) on up to workers goroutines and
// returns the first error (after which the remaining calls are skipped).
func forEach(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for i := range next {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}
