package hsm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// Key vectors of PROTOCOLS.md §2.10 and §2.11.
const (
	vecTDESKey = "0123456789ABCDEFFEDCBA9876543210" // ZMK, ZPK of §2.11
	vecZPK     = "A1B2C3D4E5F60718293A4B5C6D7E8F90" // wrapped ZPK
	vecZAK     = "F1E2D3C4B5A697887766554433221100" // §2.11 ZAK
	vecAESKey  = "2B7E151628AED2A6ABF7158809CF4F3C" // RFC 4493
)

func TestParseKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     Kind
		wantErr  error
	}{
		{"Double", vecTDESKey, TDES2, nil},
		{"DoubleLower", strings.ToLower(vecTDESKey), TDES2, nil},
		{"Triple", vecTDESKey + "0123456789ABCDEF", TDES3, nil},
		{"TDESPrefix", "tdes:" + vecTDESKey, TDES2, nil},
		{"AES128", "aes:" + vecAESKey, AES128, nil},
		{"AES128Upper", "AES:" + vecAESKey, AES128, nil},
		{"AES192", "aes:" + vecAESKey + "0011223344556677", AES192, nil},
		{"AES256Bare", vecAESKey + vecAESKey, AES256, nil},
		{"DESPrefix", "des:0123456789ABCDEF", DES, nil},
		{"BareSingleRefused", "0123456789ABCDEF", 0, ErrInvalidKey},
		{"Empty", "", 0, ErrInvalidKey},
		{"OddDigits", vecTDESKey[:31], 0, ErrInvalidKey},
		{"NonHex", "0123456789ABCDEFFEDCBA987654321G", 0, ErrInvalidKey},
		{"Spaces", "0123456789ABCDEF FEDCBA9876543210", 0, ErrInvalidKey},
		{"WrongLength", vecTDESKey + "00", 0, ErrInvalidKey},
		{"TDESPrefixAES256Length", "tdes:" + vecAESKey + vecAESKey, 0, ErrInvalidKey},
		{"UnknownPrefix", "rsa:" + vecTDESKey, 0, ErrInvalidKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := ParseKey(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseKey error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				assertNoSecret(t, "error", err.Error(), strings.TrimPrefix(tt.in, "rsa:"), vecTDESKey[:16])
				return
			}
			if k.Kind() != tt.want {
				t.Errorf("Kind = %v, want %v", k.Kind(), tt.want)
			}
		})
	}
}

func TestKCV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, key       string
		wantKCV, wantEC string
	}{
		{"TDESPublished", vecTDESKey, "08D7B4", "08D7B4"},
		{"WrappedZPK", vecZPK, "76CDB5", "76CDB5"},
		{"SampleZAK", vecZAK, "D19103", "D19103"},
		{"AESCMACAndLegacyECB", "aes:" + vecAESKey, "7AD386", "7DF76B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := mustKey(t, tt.key)
			if got := k.KCV(); got != tt.wantKCV {
				t.Errorf("KCV = %s, want %s", got, tt.wantKCV)
			}
			if got := k.KCVECB(); got != tt.wantEC {
				t.Errorf("KCVECB = %s, want %s", got, tt.wantEC)
			}
		})
	}
	if got := (Key{}).KCV(); got != "" {
		t.Errorf("zero Key KCV = %q", got)
	}
}

// TestKeyNeverPrintsMaterial covers every way a key reaches a log or string.
func TestKeyNeverPrintsMaterial(t *testing.T) {
	t.Parallel()
	for _, s := range []string{vecTDESKey, "aes:" + vecAESKey, "des:0123456789ABCDEF"} {
		k := mustKey(t, s)
		hexKey := strings.TrimPrefix(strings.TrimPrefix(s, "aes:"), "des:")
		secrets := []string{hexKey, hexKey[:8], hexKey[len(hexKey)-8:]}
		if got, want := k.String(), "key(kcv="+k.KCV()+")"; got != want {
			t.Errorf("String = %q, want %q", got, want)
		}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q", "%08b"} {
			assertNoSecret(t, verb, fmt.Sprintf(verb, k), secrets...)
		}
		nested := struct {
			Name string
			zpk  Key
			Ptr  *Key
		}{"bank", k, &k}
		for _, verb := range []string{"%v", "%+v", "%#v", "%x"} {
			out := fmt.Sprintf(verb, nested)
			assertNoSecret(t, "nested "+verb, out, secrets...)
			// decimal bytes of the first key byte must not show up as a slice either
			if strings.Contains(out, "[1 35 69") || strings.Contains(out, "[43 126 21") {
				t.Errorf("nested %s prints bytes: %s", verb, out)
			}
		}
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("key", "zpk", k)
		slog.New(slog.NewTextHandler(&buf, nil)).Info("key", "zpk", k)
		assertNoSecret(t, "slog", buf.String(), secrets...)
		if !strings.Contains(buf.String(), k.KCV()) {
			t.Errorf("slog output lacks KCV: %s", buf.String())
		}
		js, err := json.Marshal(map[string]Key{"zpk": k})
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"zpk":"key(kcv=` + k.KCV() + `)"}`; string(js) != want {
			t.Errorf("json = %s, want %s", js, want)
		}
	}
	if got := fmt.Sprint(Key{}); got != "key(none)" {
		t.Errorf("zero Key prints %q", got)
	}
}

func TestKeyUnmarshalText(t *testing.T) {
	t.Parallel()
	var cfg struct{ ZPK, ZAK Key }
	if err := json.Unmarshal([]byte(`{"ZPK":"`+vecTDESKey+`","ZAK":"`+vecZAK+`"}`), &cfg); err != nil {
		t.Fatal(err)
	}
	if !cfg.ZPK.Equal(mustKey(t, vecTDESKey)) || cfg.ZAK.KCV() != "D19103" {
		t.Errorf("decoded %v %v", cfg.ZPK, cfg.ZAK)
	}
	err := json.Unmarshal([]byte(`{"ZPK":"`+vecTDESKey[:30]+`"}`), &cfg)
	if !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("err = %v, want ErrInvalidKey", err)
	}
	assertNoSecret(t, "error", err.Error(), vecTDESKey[:30])
}

func TestKeyEqual(t *testing.T) {
	t.Parallel()
	a, b := mustKey(t, vecTDESKey), mustKey(t, strings.ToLower(vecTDESKey))
	aes := mustKey(t, "aes:"+vecTDESKey)
	tests := []struct {
		name string
		x, y Key
		want bool
	}{
		{"SameBytes", a, b, true},
		{"OtherBytes", a, mustKey(t, vecZPK), false},
		{"SameBytesOtherKind", a, aes, false},
		{"ZeroAndZero", Key{}, Key{}, true},
		{"ZeroAndKey", Key{}, a, false},
	}
	for _, tt := range tests {
		if got := tt.x.Equal(tt.y); got != tt.want {
			t.Errorf("%s: Equal = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestKeyFromBytes(t *testing.T) {
	t.Parallel()
	b := mustHex(t, vecTDESKey)
	k, err := KeyFromBytes(TDES2, b)
	if err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff // the Key holds a copy
	if k.KCV() != "08D7B4" {
		t.Errorf("KCV = %s after caller modified its slice", k.KCV())
	}
	if _, err := KeyFromBytes(AES256, b); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("wrong length: err = %v", err)
	}
	if _, err := KeyFromBytes(Kind(99), b); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("bad kind: err = %v", err)
	}
}

func TestKind(t *testing.T) {
	t.Parallel()
	var got []string
	for k := Kind(0); k <= AES256+1; k++ {
		got = append(got, fmt.Sprintf("%s/%d", k, k.Size()))
		if k.valid() {
			if p, err := ParseKind(strings.ToUpper(k.String())); err != nil || p != k {
				t.Errorf("ParseKind(%s) = %v, %v", k, p, err)
			}
		}
	}
	want := []string{"invalid/0", "des/8", "tdes2/16", "tdes3/24", "aes128/16", "aes192/24", "aes256/32", "invalid/0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kinds (-want +got):\n%s", diff)
	}
	var cfg struct{ Kind Kind }
	if err := json.Unmarshal([]byte(`{"Kind":"AES256"}`), &cfg); err != nil || cfg.Kind != AES256 {
		t.Errorf("json decode: %v %v", cfg.Kind, err)
	}
	if js, err := json.Marshal(cfg); err != nil || string(js) != `{"Kind":"aes256"}` {
		t.Errorf("json encode: %s %v", js, err)
	}
	if _, err := Kind(0).MarshalText(); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("invalid kind MarshalText err = %v", err)
	}
	if _, err := ParseKind("rsa"); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("ParseKind(rsa) err = %v", err)
	}
}

func TestXORComponents(t *testing.T) {
	t.Parallel()
	c1 := mustKey(t, "0123456789ABCDEF0123456789ABCDEF")
	c2 := mustKey(t, "00000000000000000000000000000000")
	c3 := mustKey(t, "0123456789ABCDEFFEDCBA9876543210")
	k, err := XORComponents(c1, c2, c3)
	if err != nil {
		t.Fatal(err)
	}
	want := mustKey(t, "0000000000000000FFFFFFFFFFFFFFFF")
	if !k.Equal(want) {
		t.Errorf("XOR = %v, want %v", k, want)
	}
	tests := []struct {
		name string
		in   []Key
	}{
		{"One", []Key{c1}},
		{"None", nil},
		{"MixedKinds", []Key{c1, mustKey(t, "aes:"+vecAESKey)}},
		{"ZeroKey", []Key{c1, {}}},
	}
	for _, tt := range tests {
		if _, err := XORComponents(tt.in...); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: err = %v, want ErrInvalidKey", tt.name, err)
		}
	}
}

func TestXORComponentsProperty(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		kind := rapid.SampledFrom([]Kind{TDES2, TDES3, AES128, AES192, AES256}).Draw(t, "kind")
		a := mustKeyFromBytes(t, kind, rapid.SliceOfN(rapid.Byte(), kind.Size(), kind.Size()).Draw(t, "a"))
		b := mustKeyFromBytes(t, kind, rapid.SliceOfN(rapid.Byte(), kind.Size(), kind.Size()).Draw(t, "b"))
		ab, err := XORComponents(a, b)
		if err != nil {
			t.Fatal(err)
		}
		back, err := XORComponents(ab, b)
		if err != nil {
			t.Fatal(err)
		}
		if !back.Equal(a) {
			t.Fatalf("(a^b)^b != a")
		}
	})
}

func mustKeyFromBytes(t *rapid.T, kind Kind, b []byte) Key {
	k, err := KeyFromBytes(kind, b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestNewKey(t *testing.T) {
	t.Parallel()
	for k := DES; k <= AES256; k++ {
		key, err := NewKey(k, nil)
		if err != nil {
			t.Fatalf("NewKey(%s): %v", k, err)
		}
		if key.Kind() != k || len(key.m.b) != k.Size() {
			t.Errorf("NewKey(%s) gave %s of %d bytes", k, key.Kind(), len(key.m.b))
		}
		if k.isDESFamily() {
			for i, c := range key.m.b {
				if bitsOdd := popcount(c)%2 == 1; !bitsOdd {
					t.Errorf("%s byte %d = %#x has even parity", k, i, c)
				}
			}
		}
	}
	// Deterministic under a fixed reader; parity adjusted.
	key, err := NewKey(TDES2, fixedReader{mustHex(t, "0022446688AACCEE FFDDBB9977553311")})
	if err != nil {
		t.Fatal(err)
	}
	if want := mustKey(t, "0123456789ABCDEFFEDCBA9876543210"); !key.Equal(want) {
		t.Errorf("NewKey = %v, want %v", key, want)
	}
	if _, err := NewKey(TDES2, fixedReader{[]byte{0}}); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("all-zero TDES key: err = %v, want ErrInvalidKey", err)
	}
	if _, err := NewKey(AES128, fixedReader{[]byte{0}}); err != nil {
		t.Errorf("AES key from zero reader: %v", err)
	}
	if _, err := NewKey(0, nil); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("invalid kind: err = %v", err)
	}
	if _, err := NewKey(AES256, bytes.NewReader([]byte{1, 2, 3})); err == nil {
		t.Error("short reader: no error")
	}
}

func popcount(c byte) int {
	n := 0
	for ; c != 0; c &= c - 1 {
		n++
	}
	return n
}
