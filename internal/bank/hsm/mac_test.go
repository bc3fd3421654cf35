package hsm

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"testing"

	"pgregory.net/rapid"
)

// sample0200 is the contiguous hex of PROTOCOLS.md §2.11's 0200, with its
// 2-byte length header; it ends with DE52 and DE64.
const sample0200 = "008230323030723800000AC09001313634373631373339303031303130313139303030303030303030303030303132333435303130323033303430353132333435363033303430353031303230303030303031323334353630305445524D303030314D45524348414E5430303030303031313536AC0708A3C923D34DFE3FDD9827F1849B"

const rfc4493Msg = "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710"

func TestMACX99(t *testing.T) {
	t.Parallel()
	key := mustKey(t, "des:0123456789ABCDEF")
	got, err := MACX99(key, []byte("Now is the time for all "), PaddingMethod1)
	if err != nil {
		t.Fatal(err)
	}
	if want := "70A30640CC76DD8B"; upperHex(got[:]) != want {
		t.Errorf("X9.9 MAC = %X, want %s", got, want)
	}
	for _, k := range []Key{mustKey(t, vecTDESKey), mustKey(t, "aes:"+vecAESKey)} {
		if _, err := MACX99(k, nil, PaddingMethod1); !errors.Is(err, ErrKeyKind) {
			t.Errorf("MACX99(%s key) err = %v, want ErrKeyKind", k.Kind(), err)
		}
	}
}

func TestMACX919(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, key, data string
		pad             Padding
		want            string
	}{
		{"FIPS113Data", vecTDESKey, "Now is the time for all ", PaddingMethod1, "A1C72E74EA3FA9B6"},
		{"TenBytesPad1", vecTDESKey, "1234567890", PaddingMethod1, "18418B7C9E1A1522"},
		{"TenBytesPad2", vecTDESKey, "1234567890", PaddingMethod2, "AA6DE10E3150794F"},
		// With K1 = K2 (and so K3 = K1) X9.19 collapses to X9.9.
		{"EqualHalvesIsX99", "0123456789ABCDEF0123456789ABCDEF", "Now is the time for all ", PaddingMethod1, "70A30640CC76DD8B"},
		{"TripleEqualPartsIsX99", "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", "Now is the time for all ", PaddingMethod1, "70A30640CC76DD8B"},
		{"TripleK3EqualK1IsDouble", vecTDESKey + "0123456789ABCDEF", "1234567890", PaddingMethod2, "AA6DE10E3150794F"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := MACX919(mustKey(t, tt.key), []byte(tt.data), tt.pad)
			if err != nil {
				t.Fatal(err)
			}
			if upperHex(got[:]) != tt.want {
				t.Errorf("MAC = %X, want %s", got, tt.want)
			}
		})
	}
}

// TestSample0200 reproduces §2.11: the PIN block in DE52 and the X9.19
// MAC in DE64 over the MAB (MTI up to DE64, no length header).
func TestSample0200(t *testing.T) {
	t.Parallel()
	msg := mustHex(t, sample0200)
	if n := binary.BigEndian.Uint16(msg); int(n) != len(msg)-2 {
		t.Fatalf("length header %d, body %d bytes", n, len(msg)-2)
	}
	body := msg[2:]
	mab, de64 := body[:len(body)-8], body[len(body)-8:]
	de52 := body[len(body)-16 : len(body)-8]

	zak := mustKey(t, vecZAK)
	if zak.KCV() != "D19103" {
		t.Errorf("ZAK KCV = %s, want D19103", zak.KCV())
	}
	mac, err := MACX919(zak, mab, PaddingMethod1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := upperHex(mac[:]), "FE3FDD9827F1849B"; got != want || upperHex(de64) != want {
		t.Errorf("MAC = %s, DE64 = %X, want %s", got, de64, want)
	}
	if err := AlgX919.Verify(zak, mab, de64); err != nil {
		t.Errorf("Verify: %v", err)
	}
	tampered := append([]byte(nil), mab...)
	tampered[len("0200")+8+2+5] ^= 1 // a PAN digit
	if err := AlgX919.Verify(zak, tampered, de64); !errors.Is(err, ErrMACMismatch) {
		t.Errorf("tampered Verify err = %v, want ErrMACMismatch", err)
	}

	block, err := EncryptPINBlock0(mustKey(t, vecTDESKey), "1234", "4761739001010119")
	if err != nil {
		t.Fatal(err)
	}
	if upperHex(block) != upperHex(de52) || upperHex(de52) != "AC0708A3C923D34D" {
		t.Errorf("PIN block = %X, DE52 = %X, want AC0708A3C923D34D", block, de52)
	}
}

func TestCMAC(t *testing.T) {
	t.Parallel()
	msg := mustHex(t, rfc4493Msg)
	tests := []struct {
		name string
		n    int
		want string
	}{
		{"Empty", 0, "BB1D6929E95937287FA37D129B756746"},
		{"OneBlock", 16, "070A16B46B4D4144F79BDD9DD04A287C"},
		{"FortyBytes", 40, "DFA66747DE9AE63030CA32611497C827"},
		{"FourBlocks", 64, "51F0BEBF7E3B9D92FC49741779363CFE"},
	}
	key := mustKey(t, "aes:"+vecAESKey)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := CMAC(key, msg[:tt.n])
			if err != nil {
				t.Fatal(err)
			}
			if upperHex(got[:]) != tt.want {
				t.Errorf("CMAC = %X, want %s", got, tt.want)
			}
			m, err := AlgAESCMAC.Compute(key, msg[:tt.n])
			if err != nil {
				t.Fatal(err)
			}
			if upperHex(m) != tt.want[:16] {
				t.Errorf("AlgAESCMAC = %X, want %s", m, tt.want[:16])
			}
		})
	}
	if _, err := CMAC(mustKey(t, vecTDESKey), nil); !errors.Is(err, ErrKeyKind) {
		t.Errorf("CMAC with TDES key: err = %v", err)
	}
}

func TestPadding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		pad  Padding
		in   string
		want string
	}{
		{"M1Empty", PaddingMethod1, "", "0000000000000000"},
		{"M1Aligned", PaddingMethod1, "0102030405060708", "0102030405060708"},
		{"M1Short", PaddingMethod1, "01", "0100000000000000"},
		{"M2Empty", PaddingMethod2, "", "8000000000000000"},
		{"M2Aligned", PaddingMethod2, "0102030405060708", "01020304050607088000000000000000"},
		{"M2Seven", PaddingMethod2, "01020304050607", "0102030405060780"},
	}
	for _, tt := range tests {
		got, err := tt.pad.pad(mustHex(t, tt.in))
		if err != nil {
			t.Fatal(err)
		}
		if upperHex(got) != tt.want {
			t.Errorf("%s: pad = %X, want %s", tt.name, got, tt.want)
		}
	}
	if _, err := MACX919(mustKey(t, vecTDESKey), nil, 0); err == nil {
		t.Error("padding 0: no error")
	}
}

func TestMACAlgorithm(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want MACAlgorithm
	}{{"x919", AlgX919}, {" X919 ", AlgX919}, {"aes-cmac", AlgAESCMAC}, {"AES-CMAC", AlgAESCMAC}} {
		got, err := ParseMACAlgorithm(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseMACAlgorithm(%q) = %v, %v", tt.in, got, err)
		}
	}
	for _, bad := range []string{"", "x99", "cmac", "hmac"} {
		if _, err := ParseMACAlgorithm(bad); err == nil {
			t.Errorf("ParseMACAlgorithm(%q): no error", bad)
		}
	}
	var cfg struct{ MAC MACAlgorithm }
	if err := json.Unmarshal([]byte(`{"MAC":"aes-cmac"}`), &cfg); err != nil || cfg.MAC != AlgAESCMAC {
		t.Errorf("json decode: %v %v", cfg.MAC, err)
	}
	if js, _ := json.Marshal(cfg); string(js) != `{"MAC":"aes-cmac"}` {
		t.Errorf("json encode: %s", js)
	}
	if s := MACAlgorithm(0).String(); s != "invalid" {
		t.Errorf("zero String = %q", s)
	}

	tdes, aes := mustKey(t, vecZAK), mustKey(t, "aes:"+vecAESKey)
	checks := []struct {
		alg     MACAlgorithm
		key     Key
		wantErr error
	}{
		{AlgX919, tdes, nil},
		{AlgX919, aes, ErrKeyKind},
		{AlgX919, mustKey(t, "des:0123456789ABCDEF"), ErrKeyKind},
		{AlgAESCMAC, aes, nil},
		{AlgAESCMAC, tdes, ErrKeyKind},
		{AlgAESCMAC, Key{}, ErrInvalidKey},
	}
	for _, c := range checks {
		if err := c.alg.CheckKey(c.key); !errors.Is(err, c.wantErr) {
			t.Errorf("%s.CheckKey(%s) = %v, want %v", c.alg, c.key.Kind(), err, c.wantErr)
		}
	}
	if _, err := MACAlgorithm(0).Compute(tdes, nil); err == nil {
		t.Error("invalid algorithm computed a MAC")
	}
}

func TestMACVerifyProperty(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		alg := rapid.SampledFrom([]MACAlgorithm{AlgX919, AlgAESCMAC}).Draw(t, "alg")
		kinds := map[MACAlgorithm][]Kind{AlgX919: {TDES2, TDES3}, AlgAESCMAC: {AES128, AES192, AES256}}[alg]
		kind := rapid.SampledFrom(kinds).Draw(t, "kind")
		key := mustKeyFromBytes(t, kind, rapid.SliceOfN(rapid.Byte(), kind.Size(), kind.Size()).Draw(t, "key"))
		data := rapid.SliceOfN(rapid.Byte(), 0, 200).Draw(t, "data")
		mac, err := alg.Compute(key, data)
		if err != nil {
			t.Fatal(err)
		}
		if len(mac) != MACSize {
			t.Fatalf("MAC is %d bytes", len(mac))
		}
		if err := alg.Verify(key, data, mac); err != nil {
			t.Fatalf("Verify own MAC: %v", err)
		}
		bad := flipBit(mac, rapid.IntRange(0, 63).Draw(t, "bit"))
		if err := alg.Verify(key, data, bad); !errors.Is(err, ErrMACMismatch) {
			t.Fatalf("Verify flipped MAC: %v", err)
		}
		if err := alg.Verify(key, data, mac[:7]); !errors.Is(err, ErrMACMismatch) {
			t.Fatalf("Verify short MAC: %v", err)
		}
	})
}
