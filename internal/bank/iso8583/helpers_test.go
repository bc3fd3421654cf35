package iso8583

import (
	"crypto/des"
	"encoding/hex"
	"flag"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.md and the generated parts of docs/dialects.md")

// fieldValue is one field of an example message, in Set form.
type fieldValue struct {
	id    int
	value string
}

// example is a named message used for golden files, docs and fuzz seeds.
type example struct {
	name   string
	title  string
	mti    string
	fields []fieldValue
}

// sample0200 is the end-to-end 0200 of PROTOCOLS.md §2.11.
var sample0200 = example{
	name:  "0200",
	title: "0200 purchase (PROTOCOLS.md §2.11 sample)",
	mti:   MTIPurchase,
	fields: []fieldValue{
		{FieldPAN, "4761739001010119"}, {FieldProcessingCode, ProcPurchase}, {FieldAmount, "000000012345"},
		{FieldTransmissionTime, "0102030405"}, {FieldSTAN, "123456"}, {FieldLocalTime, "030405"},
		{FieldLocalDate, "0102"}, {FieldRRN, "000000123456"}, {FieldResponseCode, RespApproved},
		{FieldTerminalID, "TERM0001"}, {FieldMerchantID, "MERCHANT0000001"}, {FieldCurrency, "156"},
		{FieldPINBlock, "AC0708A3C923D34D"}, {FieldMAC, "FE3FDD9827F1849B"},
	},
}

// sample0800 is the 0800 sign-on of PROTOCOLS.md §2.11.
var sample0800 = example{
	name:   "0800",
	title:  "0800 sign-on (PROTOCOLS.md §2.11 sample)",
	mti:    MTINetwork,
	fields: []fieldValue{{FieldTransmissionTime, "0102030405"}, {FieldSTAN, "000001"}, {FieldNetworkCode, NetSignOn}},
}

// PROTOCOLS.md §2.11, contiguous hex without the 2-byte length header.
const (
	sample0200Hex = "30323030723800000AC09001313634373631373339303031303130313139303030303030303030303030303132333435" +
		"303130323033303430353132333435363033303430353031303230303030303031323334353630305445524D30303031" +
		"4D45524348414E5430303030303031313536AC0708A3C923D34DFE3FDD9827F1849B"
	sample0800Hex = "30383030" + "8220000000000000" + "0400000000000000" + "30313032303330343035" + "303030303031" + "303031"
)

// keyChange48 is a field 48 of PROTOCOLS.md §2.8: ZPK cryptogram + KCV,
// ZAK cryptogram + KCV (the ZAK part is made up).
const keyChange48 = "ZPK" + "FD7AF640961CDB8B5CCFBE13B358FE6E" + "76CDB5" + "ZAK" + "0A1B2C3D4E5F60718293A4B5C6D7E8F9" + "D19103"

// examples returns the worked examples of a dialect.
func examples(name string) []example {
	switch name {
	case "cmb":
		return []example{sample0200, sample0800}
	case "icbc":
		return []example{{
			name:  "0200",
			title: "0200 purchase with a 19-digit PAN and track 2 (odd lengths); 52/64 are placeholders",
			mti:   MTIPurchase,
			fields: []fieldValue{
				{FieldPAN, "6222021234567890123"}, {FieldProcessingCode, ProcPurchase}, {FieldAmount, "12345"},
				{FieldTransmissionTime, "0102030405"}, {FieldSTAN, "123456"}, {FieldLocalTime, "030405"},
				{FieldLocalDate, "0102"}, {FieldPOSEntryMode, "051"}, {FieldPOSCondition, "00"},
				{FieldTrack2, "6222021234567890123=2512101"}, {FieldTerminalID, "TERM0001"},
				{FieldMerchantID, "MERCHANT0000001"}, {FieldCurrency, "156"},
				{FieldPINBlock, "0102030405060708"}, {FieldMAC, "1112131415161718"},
			},
		}, {
			name:  "0810",
			title: "0810 key change response (secondary bitmap, MAC in 128); 128 is a placeholder",
			mti:   MTINetworkResponse,
			fields: []fieldValue{
				{FieldTransmissionTime, "0102030405"}, {FieldSTAN, "000002"}, {FieldResponseCode, RespApproved},
				{FieldAdditionalData, keyChange48}, {FieldNetworkCode, NetKeyChange}, {FieldMAC2, "2122232425262728"},
			},
		}}
	case "intl":
		return []example{{
			name:  "0200",
			title: "0200 purchase of USD 19.99 with expiry and merchant name; 52/64 are placeholders",
			mti:   MTIPurchase,
			fields: []fieldValue{
				{FieldPAN, "4111111111111111"}, {FieldProcessingCode, ProcPurchase}, {FieldAmount, "1999"},
				{FieldTransmissionTime, "0102030405"}, {FieldSTAN, "000042"}, {FieldLocalTime, "030405"},
				{FieldLocalDate, "0102"}, {FieldExpiry, "2512"}, {FieldPOSEntryMode, "071"},
				{FieldTerminalID, "TERM0001"}, {FieldMerchantID, "MERCHANT0000001"},
				{FieldMerchantName, "PAYGATE DEMO SHOP        SHANGHAI     CN"}, {FieldCurrency, "840"},
				{FieldPINBlock, "0102030405060708"}, {FieldMAC, "1112131415161718"},
			},
		}, {
			name:  "0420",
			title: "0420 timeout reversal of JPY 1500 (no minor units) with field 90; 128 is a placeholder",
			mti:   MTIReversalAdvice,
			fields: []fieldValue{
				{FieldPAN, "4111111111111111"}, {FieldProcessingCode, ProcPurchase}, {FieldAmount, "1500"},
				{FieldTransmissionTime, "0102030510"}, {FieldSTAN, "000043"}, {FieldRRN, "000000123456"},
				{FieldTerminalID, "TERM0001"}, {FieldMerchantID, "MERCHANT0000001"}, {FieldCurrency, "392"},
				{FieldOriginalData, "0200" + "000042" + "0102030405" + "00000012345" + "00000000000"},
				{FieldMAC2, "2122232425262728"},
			},
		}}
	default:
		return nil
	}
}

func mustLookup(t testing.TB, name string) *Dialect {
	t.Helper()
	d, err := Lookup(name)
	if err != nil {
		t.Fatalf("Lookup(%q): %v", name, err)
	}
	return d
}

// mustBuild builds an example message.
func mustBuild(t testing.TB, d *Dialect, ex example) *Message {
	t.Helper()
	m := NewMessage(d)
	if err := m.SetMTI(ex.mti); err != nil {
		t.Fatalf("%s: SetMTI: %v", ex.name, err)
	}
	for _, f := range ex.fields {
		if err := m.Set(f.id, f.value); err != nil {
			t.Fatalf("%s: Set(%d): %v", ex.name, f.id, err)
		}
	}
	return m
}

func mustPack(t testing.TB, m *Message) []byte {
	t.Helper()
	b, err := Pack(m)
	if err != nil {
		t.Fatalf("Pack: %v", err)
	}
	return b
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("hex %q: %v", s, err)
	}
	return b
}

// x919 is ANSI X9.19 (ISO 9797-1 MAC algorithm 3, padding method 1) with a
// 16-byte key, enough to check the §2.11 sample MAC here; the production
// implementation lives in internal/bank/hsm.
func x919(key []byte) MACFunc {
	return func(data []byte) ([]byte, error) {
		kl, err := des.NewCipher(key[:8])
		if err != nil {
			return nil, err
		}
		kr, err := des.NewCipher(key[8:16])
		if err != nil {
			return nil, err
		}
		padded := append([]byte(nil), data...)
		for len(padded)%8 != 0 {
			padded = append(padded, 0)
		}
		y := make([]byte, 8)
		for i := 0; i < len(padded); i += 8 {
			for j := range 8 {
				y[j] ^= padded[i+j]
			}
			kl.Encrypt(y, y)
		}
		kr.Decrypt(y, y)
		kl.Encrypt(y, y)
		return y, nil
	}
}
