package ui_test

import (
	"errors"
	"testing"

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
		{"12.34", 12_34, nil},
		{"1,234.50", 0, ui.ErrAmountTooBig},
		{"234.50", 234_50, nil},
		{" 7 ", 7_00, nil},
		{"12.3.4", 0, ui.ErrAmountMalformed},
		{"-5.00", 0, ui.ErrAmountMalformed},
		{"0", 0, ui.ErrAmountZero},
		{"1234", 0, ui.ErrAmountTooBig},
		{"1,23", 0, ui.ErrAmountMalformed},
	}
	for _, tt := range tests {
		a, err := ui.ParseAmount(tt.in, money.CNY, 3)
		if !errors.Is(err, tt.err) || err == nil && a != money.New(tt.minor, money.CNY) {
			t.Errorf("ParseAmount(%q) = %v, %v; want %d, %v", tt.in, a, err, tt.minor, tt.err)
		}
	}
	if got := ui.MaxAmount(money.CNY, 3); got != money.New(999_00, money.CNY) {
		t.Errorf("MaxAmount = %v", got)
	}
	for in, want := range map[string]string{"=1+1": "'=1+1", "@x": "'@x", "tea": "tea", "": ""} {
		if got := ui.SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q", in, got)
		}
	}
}
