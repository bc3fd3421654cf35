package accountweb

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"paygate/internal/ledger"
	"paygate/internal/money"
	"paygate/internal/web/ui"
)

// maxAmountDigits bounds what a form may move: at most 999,999,999 and
// the fraction (the wallet and the banks have their own, lower limits).
const maxAmountDigits = 9

// Problems with a typed amount, as message keys.
var (
	errBadAmount  = errors.New("bad_amount")
	errAmountZero = errors.New("amount_zero")
	errAmountBig  = errors.New("amount_big")
)

// parseAmount reads an amount as people type it in major units of cur:
// digits with optional thousands separators in the right places
// ("1,000.50"), at most the currency's fraction digits, surrounding spaces
// ignored; no sign, no exponent, no other characters. It must be positive
// and have at most [maxAmountDigits] integer digits. The error's text is
// the message key of the problem.
func parseAmount(s string, cur money.Currency) (money.Amount, error) {
	s = strings.TrimSpace(s)
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if hasFrac && frac == "" {
		return money.Amount{}, errBadAmount
	}
	if strings.Contains(intPart, ",") {
		groups := strings.Split(intPart, ",")
		if len(groups[0]) < 1 || len(groups[0]) > 3 {
			return money.Amount{}, errBadAmount
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return money.Amount{}, errBadAmount
			}
		}
		intPart = strings.Join(groups, "")
	}
	if intPart == "" || !ui.AllDigits(intPart) || hasFrac && !ui.AllDigits(frac) {
		return money.Amount{}, errBadAmount
	}
	if intPart = strings.TrimLeft(intPart, "0"); intPart == "" {
		intPart = "0"
	}
	if len(intPart) > maxAmountDigits {
		return money.Amount{}, errAmountBig
	}
	norm := intPart
	if hasFrac {
		norm += "." + frac
	}
	a, err := money.Parse(norm, cur)
	if err != nil { // too many fraction digits, or an unknown currency
		return money.Amount{}, errBadAmount
	}
	if a.Minor() <= 0 {
		return money.Amount{}, errAmountZero
	}
	return a, nil
}

// maxAmount is the largest amount parseAmount accepts, for its message.
func maxAmount(cur money.Currency) money.Amount {
	a, _ := money.Parse(strings.Repeat("9", maxAmountDigits), cur)
	return a
}

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
		hq      historyQuery
		f       ledger.HistoryFilter
		problem string
	)
	day := func(s string) (time.Time, bool) {
		t, err := time.ParseInLocation("2006-01-02", s, loc)
		return t, err == nil && t.Year() >= 2000 && t.Year() <= 9998
	}
	if s := strings.TrimSpace(q.Get("from")); s != "" {
		if t, ok := day(s); ok {
			hq.From, f.From = s, t
		} else {
			problem = "bad_date"
		}
	}
	if s := strings.TrimSpace(q.Get("to")); s != "" {
		if t, ok := day(s); ok {
			hq.To, f.To = s, t.AddDate(0, 0, 1)
		} else {
			problem = "bad_date"
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		hq.To, f.To = "", time.Time{}
		problem = "bad_range"
	}
	switch d := ledger.Direction(q.Get("dir")); d {
	case ledger.DirectionIn, ledger.DirectionOut:
		hq.Dir, f.Direction = string(d), d
	}
	if n, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && n > 0 {
		hq.Before, f.Before = n, n
	}
	return hq, f, problem
}
