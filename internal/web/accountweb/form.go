package accountweb

import (
	"net/url"
	"strconv"
	"time"

	"paygate/internal/ledger"
	"paygate/internal/money"
	"paygate/internal/web/ui"
)

// maxAmountDigits bounds what a form may move: at most 999,999,999 and
// the fraction (the wallet and the banks have their own, lower limits).
const maxAmountDigits = 9

// Problems with a typed amount ([ui.ParseAmount]), as message keys.
var (
	errBadAmount  = ui.ErrAmountMalformed
	errAmountZero = ui.ErrAmountZero
	errAmountBig  = ui.ErrAmountTooBig
)

// parseAmount reads an amount as people type it in major units of cur
// ([ui.ParseAmount]), with at most [maxAmountDigits] integer digits. The
// error's text is the message key of the problem.
func parseAmount(s string, cur money.Currency) (money.Amount, error) {
	return ui.ParseAmount(s, cur, maxAmountDigits)
}

// maxAmount is the largest amount parseAmount accepts, for its message.
func maxAmount(cur money.Currency) money.Amount { return ui.MaxAmount(cur, maxAmountDigits) }

// historyQuery is the history filter as typed: dates YYYY-MM-DD (whole
// local days, both inclusive), direction in|out|"" and the page cursor.
type historyQuery struct {
	From, To string
	Dir      string
	Before   int64
}

// query is the filter as URL parameters (without the cursor), to keep it
// on links.
func (q historyQuery) query() url.Values {
	v := url.Values{}
	if q.From != "" {
		v.Set("from", q.From)
	}
	if q.To != "" {
		v.Set("to", q.To)
	}
	if q.Dir != "" {
		v.Set("dir", q.Dir)
	}
	return v
}

// parseHistoryQuery reads the filter from a URL query, in loc. It returns
// the filter with every valid part, and the message key of the first
// problem ("" if none); an invalid part is dropped from both.
func parseHistoryQuery(q url.Values, loc *time.Location) (historyQuery, ledger.HistoryFilter, string) {
	var (
		hq historyQuery
		f  ledger.HistoryFilter
	)
	days, problem := ui.ParseDayRange(q, loc)
	hq.From, hq.To, f.From, f.To = days.From, days.To, days.Start, days.End
	switch d := ledger.Direction(q.Get("dir")); d {
	case ledger.DirectionIn, ledger.DirectionOut:
		hq.Dir, f.Direction = string(d), d
	}
	if n, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && n > 0 {
		hq.Before, f.Before = n, n
	}
	return hq, f, problem
}
