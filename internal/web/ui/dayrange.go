package ui

import (
	"net/url"
	"strings"
	"time"
)

// DayRange is a filter of whole days, as the "from" and "to" query
// parameters (YYYY-MM-DD) give it.
type DayRange struct {
	From, To string    // the valid days as entered, "" for none
	Start    time.Time // midnight starting From, zero for none
	End      time.Time // midnight ending To (the next day's), zero for none
}

// ParseDayRange reads "from" and "to" from q as days in loc. It returns
// the range with every valid part and the message key of the last problem
// ("bad_date", "bad_range", or "" if none); an invalid part is dropped, and
// so is a To not after From.
func ParseDayRange(q url.Values, loc *time.Location) (DayRange, string) {
	var (
		d       DayRange
		problem string
	)
	day := func(s string) (time.Time, bool) {
		t, err := time.ParseInLocation("2006-01-02", s, loc)
		return t, err == nil && t.Year() >= 2000 && t.Year() <= 9998
	}
	if s := strings.TrimSpace(q.Get("from")); s != "" {
		if t, ok := day(s); ok {
			d.From, d.Start = s, t
		} else {
			problem = "bad_date"
		}
	}
	if s := strings.TrimSpace(q.Get("to")); s != "" {
		if t, ok := day(s); ok {
			d.To, d.End = s, t.AddDate(0, 0, 1)
		} else {
			problem = "bad_date"
		}
	}
	if !d.Start.IsZero() && !d.End.IsZero() && !d.Start.Before(d.End) {
		d.To, d.End = "", time.Time{}
		problem = "bad_range"
	}
	return d, problem
}
