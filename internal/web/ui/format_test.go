package ui_test

import (
	"testing"
	"time"

	"paygate/internal/money"
	"paygate/internal/web/ui"
)

func TestFormatAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a             money.Amount
		plain, signed string
	}{
		{money.New(0, money.CNY), "¥0.00", "¥0.00"},
		{money.New(5, money.CNY), "¥0.05", "+¥0.05"},
		{money.New(12_34, money.CNY), "¥12.34", "+¥12.34"},
		{money.New(100_000_00, money.CNY), "¥100,000.00", "+¥100,000.00"},
		{money.New(1_234_567_89, money.CNY), "¥1,234,567.89", "+¥1,234,567.89"},
		{money.New(-5_00, money.CNY), "-¥5.00", "-¥5.00"},
		{money.New(-1_000_00, money.USD), "-$1,000.00", "-$1,000.00"},
		{money.New(1234, money.JPY), "JP¥1,234", "+JP¥1,234"},
		{money.New(1_000_00, "CHF"), "1,000.00 CHF", "+1,000.00 CHF"},
	}
	for _, tt := range tests {
		if got := ui.FormatAmount(tt.a); got != tt.plain {
			t.Errorf("FormatAmount(%v) = %q, want %q", tt.a, got, tt.plain)
		}
		if got := ui.FormatSignedAmount(tt.a); got != tt.signed {
			t.Errorf("FormatSignedAmount(%v) = %q, want %q", tt.a, got, tt.signed)
		}
	}
}

func TestFormatTime(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 31, 18, 5, 9, 0, time.UTC)
	if got := ui.FormatTime(at, ui.ChinaTime); got != "2026-04-01 02:05:09" {
		t.Errorf("in China: %q", got)
	}
	if got := ui.FormatTime(at, time.UTC); got != "2026-03-31 18:05:09" {
		t.Errorf("in UTC: %q", got)
	}
}
