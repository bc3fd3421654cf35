package iso8583

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSetNormalizes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		id    int
		value string
		want  string
	}{
		{"NumericPadded", FieldAmount, "12345", "000000012345"},
		{"NumericZero", FieldProcessingCode, "", "000000"},
		{"NumericFull", FieldNetworkCode, "001", "001"},
		{"VariableKept", FieldPAN, "0012", "0012"},
		{"TextTrimmed", FieldTerminalID, "T1  ", "T1"},
		{"TextLeadingSpaceKept", FieldMerchantName, "  SHOP ", "  SHOP"},
		{"Track2Separator", FieldTrack2, "4761D2512", "4761=2512"},
		{"BinaryHexUpper", FieldPINBlock, "0a0b0c0d0e0f1011", "0A0B0C0D0E0F1011"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := NewMessage(mustLookup(t, "cmb"))
			if err := m.Set(tt.id, tt.value); err != nil {
				t.Fatalf("Set: %v", err)
			}
			if got := m.Get(tt.id); got != tt.want {
				t.Fatalf("Get = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSetRejects(t *testing.T) {
	t.Parallel()
	secret := "4761739001010119"
	tests := []struct {
		name    string
		dialect string
		id      int
		value   string
		want    error
	}{
		{"UnknownField", "cmb", 5, "1", ErrUnknownField},
		{"Bitmap", "cmb", 1, "1", ErrUnknownField},
		{"NumericLetter", "cmb", FieldPAN, secret[:10] + "X", ErrInvalidValue},
		{"NumericTooLong", "cmb", FieldPAN, secret + secret, ErrInvalidValue},
		{"FixedTooLong", "cmb", FieldSTAN, "1234567", ErrInvalidValue},
		{"AnPunctuation", "cmb", FieldResponseCode, "0!", ErrInvalidValue},
		{"AnsNonASCII", "cmb", FieldMerchantName, "商户", ErrInvalidValue},
		{"AnsControl", "cmb", FieldMerchantName, "a\nb", ErrInvalidValue},
		{"Track2Letter", "cmb", FieldTrack2, secret + "=X", ErrInvalidValue},
		{"BinaryNotHex", "cmb", FieldPINBlock, "zz", ErrInvalidValue},
		{"BinaryShort", "cmb", FieldPINBlock, "0102", ErrInvalidValue},
		{"CurrencyNotInCmb", "cmb", FieldCurrency, "840", ErrInvalidValue},
		{"CurrencyAlpha", "intl", FieldCurrency, "USD", ErrInvalidValue},
		{"CurrencyUnknownIntl", "intl", FieldCurrency, "999", ErrInvalidValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := NewMessage(mustLookup(t, tt.dialect))
			err := m.Set(tt.id, tt.value)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), secret[:10]) {
				t.Fatalf("error quotes the value: %v", err)
			}
			if m.Has(tt.id) {
				t.Fatal("rejected value was stored")
			}
		})
	}
}

func TestSetBytesAndAccessors(t *testing.T) {
	t.Parallel()
	m := NewMessage(mustLookup(t, "cmb"))
	pin := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	if err := m.SetBytes(FieldPINBlock, pin); err != nil {
		t.Fatal(err)
	}
	pin[0] = 9 // the message keeps its own copy
	if err := m.SetBytes(FieldSTAN, []byte("42")); err != nil {
		t.Fatal(err)
	}
	if err := m.SetBytes(FieldMAC, []byte{1}); !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("short MAC: err = %v", err)
	}
	got := struct {
		PIN    []byte
		PINHex string
		STAN   []byte
		Absent []byte
		Fields []int
	}{m.Bytes(FieldPINBlock), m.Get(FieldPINBlock), m.Bytes(FieldSTAN), m.Bytes(FieldPAN), m.Fields()}
	want := struct {
		PIN    []byte
		PINHex string
		STAN   []byte
		Absent []byte
		Fields []int
	}{[]byte{1, 2, 3, 4, 5, 6, 7, 8}, "0102030405060708", []byte("000042"), nil, []int{11, 52}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if m.Get(FieldPAN) != "" || m.Has(FieldPAN) {
		t.Fatal("Get of an absent field created it")
	}
	m.Unset(FieldPINBlock)
	if diff := cmp.Diff([]int{11}, m.Fields()); diff != "" {
		t.Fatalf("after Unset (-want +got):\n%s", diff)
	}
}

func TestPackChecks(t *testing.T) {
	t.Parallel()
	d := mustLookup(t, "cmb")

	m := NewMessage(d)
	if err := m.Set(FieldSTAN, "1"); err != nil {
		t.Fatal(err)
	}
	if _, err := Pack(m); !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("Pack without MTI: err = %v", err)
	}
	if err := m.SetMTI("08x0"); !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("SetMTI: err = %v", err)
	}

	// Values set through moov-io bypass Set but not Pack.
	m = NewMessage(d)
	if err := m.SetMTI(MTINetwork); err != nil {
		t.Fatal(err)
	}
	if err := m.Moov().Field(FieldSTAN, "12A"); err != nil {
		t.Fatal(err)
	}
	if _, err := Pack(m); !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("Pack with a bad moov-set value: err = %v", err)
	}
	if err := m.Moov().Field(FieldSTAN, "12"); err != nil {
		t.Fatal(err)
	}
	packed := mustPack(t, m)
	if got := m.Get(FieldSTAN); got != "000012" {
		t.Fatalf("Pack did not normalize a moov-set value: %q", got)
	}
	if diff := cmp.Diff(sample0800Hex[:8]+"0020000000000000"+"303030303132", strings.ToUpper(hexOf(packed))); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&0xF])
	}
	return string(out)
}
