package accountweb

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"paygate/internal/ledger"
	"paygate/internal/money"
	"paygate/internal/web/ui"
)

func TestParseAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		minor int64
		err   error
	}{
		{"1", 100, nil},
		{"1000", 1000_00, nil},
		{"1000.5", 1000_50, nil},
		{"1,000.00", 1000_00, nil},
		{"12,345,678.90", 12345678_90, nil},
		{" 0.01 ", 1, nil},
		{"007", 700, nil},
		{"999,999,999.99", 999999999_99, nil},
		{"0", 0, errAmountZero},
		{"0.00", 0, errAmountZero},
		{"000000000000000000000000.00", 0, errAmountZero},
		{"1000000000", 0, errAmountBig},
		{"", 0, errBadAmount},
		{"1.", 0, errBadAmount},
		{".5", 0, errBadAmount},
		{"1.234", 0, errBadAmount},
		{"-1", 0, errBadAmount},
		{"+1", 0, errBadAmount},
		{"1e3", 0, errBadAmount},
		{"1,00", 0, errBadAmount},
		{",100", 0, errBadAmount},
		{"1000,000", 0, errBadAmount},
		{"1,000,00", 0, errBadAmount},
		{"1 000", 0, errBadAmount},
		{"¥10", 0, errBadAmount},
		{"１０", 0, errBadAmount},
		{"0x10", 0, errBadAmount},
		{"NaN", 0, errBadAmount},
	}
	for _, tt := range tests {
		a, err := parseAmount(tt.in, money.CNY)
		if !errors.Is(err, tt.err) || (err == nil && a != money.New(tt.minor, money.CNY)) {
			t.Errorf("parseAmount(%q) = %v, %v; want %d, %v", tt.in, a, err, tt.minor, tt.err)
		}
	}
	if a, err := parseAmount("5", money.JPY); err != nil || a.Minor() != 5 {
		t.Errorf("5 JPY = %v, %v", a, err)
	}
	if _, err := parseAmount("5.5", money.JPY); !errors.Is(err, errBadAmount) {
		t.Errorf("5.5 JPY: %v", err)
	}
}

// FuzzParseAmount: whatever is typed, parseAmount never panics, and what
// it accepts is positive, bounded, and reads back the same from its
// canonical form.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1", "1,000.50", "0.01", "999,999,999.99", "1.", "-1", "1e3", "1,00", " 7 ", "0000.10"} {
		f.Add(s)
	}
	limit := maxAmount(money.CNY)
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAmount(s, money.CNY)
		if err != nil {
			return
		}
		if a.Minor() <= 0 || a.Minor() > limit.Minor()+99 {
			t.Fatalf("parseAmount(%q) = %v: out of range", s, a)
		}
		b, err := parseAmount(a.String(), money.CNY)
		if err != nil || b != a {
			t.Fatalf("parseAmount(%q) = %v, but %q reads as %v, %v", s, a, a.String(), b, err)
		}
		if c, err := parseAmount(strings.TrimPrefix(ui.FormatAmount(a), "¥"), money.CNY); err != nil || c != a {
			t.Fatalf("the shown form of %v reads as %v, %v", a, c, err)
		}
	})
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"/account/send", "/account/send"},
		{"/account/?dir=in", "/account/?dir=in"},
		{"", "/account/"},
		{"/account", "/account/"},
		{"/account/logout", "/account/"},
		{"/pay/pay_1", "/account/"},
		{"//evil.example/account/", "/account/"},
		{"/\\evil.example", "/account/"},
		{"https://evil.example/account/", "/account/"},
		{"javascript:alert(1)", "/account/"},
		{"/account/../pay/x", "/account/"},
		{"/account/%2e%2e/pay", "/account/"},
		{"/account/\r\nSet-Cookie:x", "/account/"},
	}
	for _, tt := range tests {
		if got := safeNext(tt.in); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseHistoryQuery(t *testing.T) {
	t.Parallel()
	cst := time.FixedZone("UTC+8", 8*3600)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, cst) }
	tests := []struct {
		query   string
		want    ledger.HistoryFilter
		problem string
	}{
		{"", ledger.HistoryFilter{}, ""},
		{"from=2026-03-01&to=2026-03-31&dir=out&before=42",
			ledger.HistoryFilter{From: day(2026, 3, 1), To: day(2026, 4, 1), Direction: ledger.DirectionOut, Before: 42}, ""},
		{"to=2026-03-01", ledger.HistoryFilter{To: day(2026, 3, 2)}, ""},
		{"from=2026-03-01&to=2026-03-01", ledger.HistoryFilter{From: day(2026, 3, 1), To: day(2026, 3, 2)}, ""},
		{"from=2026-03-02&to=2026-03-01", ledger.HistoryFilter{From: day(2026, 3, 2)}, "bad_range"},
		{"from=03/01/2026&dir=in", ledger.HistoryFilter{Direction: ledger.DirectionIn}, "bad_date"},
		{"to=9999-12-31", ledger.HistoryFilter{}, "bad_date"},
		{"dir=sideways&before=-1", ledger.HistoryFilter{}, ""},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		_, f, problem := parseHistoryQuery(q, cst)
		if !f.From.Equal(tt.want.From) || !f.To.Equal(tt.want.To) || f.Direction != tt.want.Direction || f.Before != tt.want.Before || problem != tt.problem {
			t.Errorf("%q: %+v %q, want %+v %q", tt.query, f, problem, tt.want, tt.problem)
		}
	}
}

func TestSafeCell(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"to a@b.c: hi": "to a@b.c: hi", "=HYPERLINK(1)": "'=HYPERLINK(1)", "@x": "'@x", "-1": "'-1", "": ""} {
		if got := safeCell(in); got != want {
			t.Errorf("safeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMessagesHaveBothLanguages(t *testing.T) {
	t.Parallel()
	for k, m := range messages {
		if m[0] == "" || m[1] == "" {
			t.Errorf("message %q lacks a language", k)
		}
		if strings.Count(m[0], "%") != strings.Count(m[1], "%") {
			t.Errorf("message %q: the languages take different arguments", k)
		}
	}
}
