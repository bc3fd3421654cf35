package iso8583

import (
	"errors"
	"testing"
)

func TestResponseText(t *testing.T) {
	t.Parallel()
	codes := []string{
		RespApproved, RespDoNotHonor, RespInvalidTransaction, RespInvalidAmount, RespInvalidCard,
		RespRecordNotFound, RespFormatError, RespInsufficientFunds, RespIncorrectPIN, RespExceedsLimit,
		RespSecurityViolation, RespMACFailure, RespLateResponse, RespIssuerInoperative, RespDuplicate,
		RespSystemMalfunction,
	}
	seen := map[string]bool{}
	for _, c := range codes {
		txt := ResponseText(c)
		if txt == unknownResponseCodeText || seen[txt] {
			t.Errorf("ResponseText(%q) = %q", c, txt)
		}
		seen[txt] = true
	}
	if got := ResponseText("ZZ"); got != unknownResponseCodeText {
		t.Errorf("ResponseText(ZZ) = %q", got)
	}
	if ResponseText(RespMACFailure) != "MAC verification failed" {
		t.Errorf("A0 = %q", ResponseText(RespMACFailure))
	}
}

func TestResponseMTI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{MTIPurchase, MTIPurchaseResponse, true},
		{MTIAdvice, MTIAdviceResponse, true},
		{MTIReversalAdvice, MTIReversalAdviceResponse, true},
		{MTIReversalAdviceRepeat, MTIReversalAdviceResponse, true},
		{MTINetwork, MTINetworkResponse, true},
		{"0100", "0110", true},
		{MTIPurchaseResponse, "", false},
		{MTIReversalAdviceResponse, "", false},
		{"020", "", false},
		{"02a0", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ResponseMTI(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("ResponseMTI(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestAmounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		minor int64
		want  string
		ok    bool
	}{
		{0, "000000000000", true},
		{12345, "000000012345", true},
		{999_999_999_999, "999999999999", true},
		{1_000_000_000_000, "", false},
		{-1, "", false},
	}
	for _, tt := range tests {
		got, err := FormatAmount(tt.minor)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("FormatAmount(%d) = %q, %v", tt.minor, got, err)
		}
		if !tt.ok {
			continue
		}
		back, err := ParseAmount(got)
		if err != nil || back != tt.minor {
			t.Errorf("ParseAmount(%q) = %d, %v", got, back, err)
		}
	}
	for _, bad := range []string{"", "12a", "-1", "1234567890123", "+1"} {
		if _, err := ParseAmount(bad); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("ParseAmount(%q) err = %v", bad, err)
		}
	}
}

func TestLookupCurrency(t *testing.T) {
	t.Parallel()
	d := mustLookup(t, "intl")
	for _, tt := range []struct {
		code  string
		want  Currency
		found bool
	}{
		{"840", Currency{"840", "USD", 2}, true},
		{"JPY", Currency{"392", "JPY", 0}, true},
		{"048", Currency{"048", "BHD", 3}, true},
		{"999", Currency{}, false},
	} {
		got, ok := d.LookupCurrency(tt.code)
		if ok != tt.found || got != tt.want {
			t.Errorf("LookupCurrency(%q) = %+v, %v", tt.code, got, ok)
		}
	}
	if _, ok := mustLookup(t, "cmb").LookupCurrency("USD"); ok {
		t.Error("cmb accepts USD")
	}
}
