package ui_test

import (
	"testing"

	"paygate/internal/web/ui"
)

func TestCardChecks(t *testing.T) {
	t.Parallel()
	if got := ui.NormalizeCardNumber("6222 0200-0000\u00a00000 018"); got != "6222020000000000018" {
		t.Errorf("NormalizeCardNumber = %q", got)
	}
	for pan, want := range map[string]bool{
		"6222020000000000018": true, "4111111111111111": true, "6222020000000000019": false,
		"411111111111": false, "41111111111111111111": false, "": false, "6222 0200 0000 0000 018": false,
	} {
		if got := ui.ValidPAN(pan); got != want {
			t.Errorf("ValidPAN(%q) = %v", pan, got)
		}
	}
	for pin, want := range map[string]bool{"1234": true, "123456789012": true, "123": false, "1234567890123": false, "12a4": false} {
		if got := ui.ValidPIN(pin); got != want {
			t.Errorf("ValidPIN(%q) = %v", pin, got)
		}
	}
	for s, want := range map[string]bool{"0123456789": true, "": false, "１２": false, "1.0": false} {
		if got := ui.AllDigits(s); got != want {
			t.Errorf("AllDigits(%q) = %v", s, got)
		}
	}
}
