package hsm

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestPINBlockFormat0(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, pin, pan, want string
	}{
		{"EFTlabPublished", "1234", "43219876543210987", "0412AC89ABCDEF67"},
		{"Computed", "1234", "4111111111111111", "041225EEEEEEEEEE"},
		{"Sample0200", "1234", "4761739001010119", "041223C6FFEFEFEE"},
		{"TwelveDigitPAN", "1234", "123456789012", "041235DCBA9876FE"},
		{"TwelveDigitPIN", "123456789012", "4111111111111111", "0C122547698103EE"},
		{"NineteenDigitPAN", "9999", "6200001234567890123", "04998BCBA9876FED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := PINBlockFormat0(tt.pin, tt.pan)
			if err != nil {
				t.Fatal(err)
			}
			if upperHex(got[:]) != tt.want {
				t.Errorf("clear block = %X, want %s", got, tt.want)
			}
		})
	}
}

func TestEncryptPINBlock0Vectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, zpk, pin, pan, want string
	}{
		{"ComputedUnderTestKey", vecTDESKey, "1234", "4111111111111111", "2A3D408A1977DDE9"},
		{"ComputedUnderWrappedZPK", vecZPK, "1234", "4111111111111111", "382DAE098C19D199"},
		{"Sample0200DE52", vecTDESKey, "1234", "4761739001010119", "AC0708A3C923D34D"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			zpk := mustKey(t, tt.zpk)
			got, err := EncryptPINBlock0(zpk, tt.pin, tt.pan)
			if err != nil {
				t.Fatal(err)
			}
			if upperHex(got) != tt.want {
				t.Errorf("block = %X, want %s", got, tt.want)
			}
			pin, err := DecryptPINBlock0(zpk, mustHex(t, tt.want), tt.pan)
			if err != nil {
				t.Fatal(err)
			}
			if pin != tt.pin {
				t.Errorf("decrypted PIN differs")
			}
		})
	}
}

// TestPINBlockErrors checks validation, wrong keys, and that no error
// reveals the PIN, the PAN or the key.
func TestPINBlockErrors(t *testing.T) {
	t.Parallel()
	const pin, pan = "987654", "4761739001010119"
	zpk, wrong := mustKey(t, vecTDESKey), mustKey(t, vecZPK)
	aesZPK, aesWrong := mustKey(t, "aes:"+vecAESKey), mustKey(t, "aes:"+vecZPK)
	block0, err := EncryptPINBlock0(zpk, pin, pan)
	if err != nil {
		t.Fatal(err)
	}
	block4, err := EncryptPINBlock4(aesZPK, pin, pan, nil)
	if err != nil {
		t.Fatal(err)
	}
	enc0 := func(k Key, pin, pan string) error { _, err := EncryptPINBlock0(k, pin, pan); return err }
	enc4 := func(k Key, pin, pan string) error { _, err := EncryptPINBlock4(k, pin, pan, nil); return err }
	dec0 := func(k Key, b []byte, pan string) func() error {
		return func() error { _, err := DecryptPINBlock0(k, b, pan); return err }
	}
	dec4 := func(k Key, b []byte, pan string) func() error {
		return func() error { _, err := DecryptPINBlock4(k, b, pan); return err }
	}
	bind := func(f func(Key, string, string) error, k Key, pin, pan string) func() error {
		return func() error { return f(k, pin, pan) }
	}
	tests := []struct {
		name    string
		call    func() error
		wantErr error
	}{
		{"Fmt0ShortPIN", bind(enc0, zpk, "987", pan), ErrInvalidPIN},
		{"Fmt0LongPIN", bind(enc0, zpk, "9876543210987", pan), ErrInvalidPIN},
		{"Fmt0LetterPIN", bind(enc0, zpk, "98765a", pan), ErrInvalidPIN},
		{"Fmt0ShortPAN", bind(enc0, zpk, pin, pan[:11]), ErrInvalidPAN},
		{"Fmt0LongPAN", bind(enc0, zpk, pin, pan+"0123"), ErrInvalidPAN},
		{"Fmt0SpacedPAN", bind(enc0, zpk, pin, "4761 7390 0101 0119"), ErrInvalidPAN},
		{"Fmt0AESKey", bind(enc0, aesZPK, pin, pan), ErrKeyKind},
		{"Fmt0ZeroKey", bind(enc0, Key{}, pin, pan), ErrInvalidKey},
		{"Fmt0WrongKey", dec0(wrong, block0, pan), ErrBadPINBlock},
		{"Fmt0WrongPAN", dec0(zpk, block0, "4111111111111111"), ErrBadPINBlock},
		{"Fmt0ShortBlock", dec0(zpk, block0[:7], pan), ErrBadPINBlock},
		{"Fmt0BadPANOnDecrypt", dec0(zpk, block0, "47617390"), ErrInvalidPAN},
		{"Fmt0DecryptAESKey", dec0(aesZPK, block0, pan), ErrKeyKind},
		{"Fmt4ShortPIN", bind(enc4, aesZPK, "987", pan), ErrInvalidPIN},
		{"Fmt4BadPAN", bind(enc4, aesZPK, pin, "47617390010101x9"), ErrInvalidPAN},
		{"Fmt4TDESKey", bind(enc4, zpk, pin, pan), ErrKeyKind},
		{"Fmt4WrongKey", dec4(aesWrong, block4, pan), ErrBadPINBlock},
		{"Fmt4WrongPAN", dec4(aesZPK, block4, "4111111111111111"), ErrBadPINBlock},
		{"Fmt4Format0Block", dec4(aesZPK, append(block0, block0...), pan), ErrBadPINBlock},
		{"Fmt4ShortBlock", dec4(aesZPK, block4[:8], pan), ErrBadPINBlock},
		{"Fmt4DecryptTDESKey", dec4(zpk, block4, pan), ErrKeyKind},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.call()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			assertNoSecret(t, "error", err.Error(), pin, pan, pan[:12], pan[6:], vecTDESKey[:8], vecZPK[:8], vecAESKey[:8])
		})
	}
}

// TestDecryptPINBlock0Structure decrypts hand-made clear blocks that break
// one structural rule each.
func TestDecryptPINBlock0Structure(t *testing.T) {
	t.Parallel()
	const pan = "4111111111111111" // PAN field 0000111111111111
	zpk := mustKey(t, vecTDESKey)
	tests := []struct {
		name, clearPINField string
		wantErr             error
	}{
		{"Valid", "041234FFFFFFFFFF", nil},
		{"ControlNibble1", "141234FFFFFFFFFF", ErrBadPINBlock},
		{"Length3", "03123FFFFFFFFFFF", ErrBadPINBlock},
		{"Length13", "0D1234567890123F", ErrBadPINBlock},
		{"NonDigit", "04123AFFFFFFFFFF", ErrBadPINBlock},
		{"BadFill", "041234FFFFFFFFFE", ErrBadPINBlock},
		{"ZeroFill", "0412340000000000", ErrBadPINBlock},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clearBlock := mustHex(t, tt.clearPINField)
			pf := panField0(pan)
			for i := range clearBlock {
				clearBlock[i] ^= pf[i]
			}
			block := make([]byte, 8)
			zpk.block().Encrypt(block, clearBlock)
			_, err := DecryptPINBlock0(zpk, block, pan)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestFormat4Construction(t *testing.T) {
	t.Parallel()
	t.Run("PINField", func(t *testing.T) {
		t.Parallel()
		pf := pinField4("1234", [8]byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77})
		if got, want := upperHex(pf[:]), "441234AAAAAAAAAA0011223344556677"; got != want {
			t.Errorf("PIN field = %s, want %s", got, want)
		}
	})
	tests := []struct{ name, pan, want string }{
		{"SixteenDigits", "4111111111111111", "44111111111111111000000000000000"},
		{"FifteenDigits", "411111111111111", "34111111111111110000000000000000"},
		{"ShortPAN", "123456789", "00001234567890000000000000000000"},
		{"TwelveDigits", "123456789012", "01234567890120000000000000000000"},
		{"NineteenDigits", "6200001234567890123", "76200001234567890123000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pf := panField4(tt.pan)
			if got := upperHex(pf[:]); got != tt.want {
				t.Errorf("PAN field = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestEncryptPINBlock4Vector(t *testing.T) {
	t.Parallel()
	zpk := mustKey(t, "aes:"+vecAESKey)
	const pin, pan = "1234", "4111111111111111"
	block, err := EncryptPINBlock4(zpk, pin, pan, fixedReader{mustHex(t, "0011223344556677")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := upperHex(block), "59A943F4341F2013184BF78F3B52C035"; got != want {
		t.Errorf("block = %s, want %s", got, want)
	}
	got, err := DecryptPINBlock4(zpk, block, pan)
	if err != nil {
		t.Fatal(err)
	}
	if got != pin {
		t.Errorf("decrypted PIN differs")
	}
	// Fresh randomness: two encryptions differ, both decrypt.
	b1, _ := EncryptPINBlock4(zpk, pin, pan, nil)
	b2, _ := EncryptPINBlock4(zpk, pin, pan, nil)
	if string(b1) == string(b2) {
		t.Error("format 4 blocks repeat under crypto/rand")
	}
	if _, err := EncryptPINBlock4(zpk, pin, pan, strings.NewReader("short")); err == nil {
		t.Error("short random reader: no error")
	}
}

// pinPAN draws a valid PIN and PAN.
func pinPAN(t *rapid.T) (string, string) {
	pin := rapid.StringMatching(`[0-9]{4,12}`).Draw(t, "pin")
	pan := rapid.StringMatching(`[0-9]{12,19}`).Draw(t, "pan")
	return pin, pan
}

func TestPINBlock0RoundTripProperty(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		kind := rapid.SampledFrom([]Kind{TDES2, TDES3}).Draw(t, "kind")
		zpk := mustKeyFromBytes(t, kind, rapid.SliceOfN(rapid.Byte(), kind.Size(), kind.Size()).Draw(t, "zpk"))
		pin, pan := pinPAN(t)
		block, err := EncryptPINBlock0(zpk, pin, pan)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecryptPINBlock0(zpk, block, pan)
		if err != nil {
			t.Fatal(err)
		}
		if got != pin {
			t.Fatalf("round trip gave %s, want %s", got, pin)
		}
	})
}

func TestPINBlock4RoundTripProperty(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		kind := rapid.SampledFrom([]Kind{AES128, AES192, AES256}).Draw(t, "kind")
		zpk := mustKeyFromBytes(t, kind, rapid.SliceOfN(rapid.Byte(), kind.Size(), kind.Size()).Draw(t, "zpk"))
		pin, pan := pinPAN(t)
		random := fixedReader{rapid.SliceOfN(rapid.Byte(), 8, 8).Draw(t, "random")}
		block, err := EncryptPINBlock4(zpk, pin, pan, random)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecryptPINBlock4(zpk, block, pan)
		if err != nil {
			t.Fatal(err)
		}
		if got != pin {
			t.Fatalf("round trip gave %s, want %s", got, pin)
		}
	})
}

// TestPINBlockWrongKeyProperty: a different key never yields a PIN. The
// chance that garbage passes the structure checks is below 2^-20 per block.
func TestPINBlockWrongKeyProperty(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		b := rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, "zpk")
		zpk, other := mustKeyFromBytes(t, TDES2, b), mustKeyFromBytes(t, TDES2, flipBit(b, rapid.IntRange(0, 127).Draw(t, "bit")))
		pin, pan := pinPAN(t)
		block, err := EncryptPINBlock0(zpk, pin, pan)
		if err != nil {
			t.Fatal(err)
		}
		if zpk.KCV() == other.KCV() {
			t.Skip("flipped a parity bit: same DES key")
		}
		if _, err := DecryptPINBlock0(other, block, pan); !errors.Is(err, ErrBadPINBlock) {
			t.Fatalf("wrong key: err = %v", err)
		}
	})
}

func flipBit(b []byte, bit int) []byte {
	out := append([]byte(nil), b...)
	out[bit/8] ^= 0x80 >> (bit % 8)
	return out
}

func ExampleEncryptPINBlock0() {
	zpk, _ := ParseKey("0123456789ABCDEFFEDCBA9876543210")
	block, _ := EncryptPINBlock0(zpk, "1234", "4761739001010119")
	fmt.Printf("%X %v\n", block, zpk)
	// Output: AC0708A3C923D34D key(kcv=08D7B4)
}
