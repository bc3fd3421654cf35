package wire_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"paygate/internal/bank/hsm"
	"paygate/internal/bank/iso8583"
	"paygate/internal/bank/wire"
)

func mustKey(t *testing.T, s string) hsm.Key {
	t.Helper()
	k, err := hsm.ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestFrameRoundTrip(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	for _, msg := range [][]byte{{1}, bytes.Repeat([]byte{7}, 300), bytes.Repeat([]byte{9}, wire.MaxFrame)} {
		n, err := wire.WriteFrame(&buf, msg)
		if err != nil || n != len(msg)+2 {
			t.Fatalf("WriteFrame(%d bytes) = %d, %v", len(msg), n, err)
		}
	}
	if got := buf.Bytes()[:3]; !bytes.Equal(got, []byte{0, 1, 1}) {
		t.Fatalf("header of a 1-byte frame = % X, want 00 01 01", got)
	}
	for _, want := range []int{1, 300, wire.MaxFrame} {
		msg, err := wire.ReadFrame(&buf)
		if err != nil || len(msg) != want {
			t.Fatalf("ReadFrame = %d bytes, %v; want %d", len(msg), err, want)
		}
	}
	if _, err := wire.ReadFrame(&buf); !errors.Is(err, io.EOF) {
		t.Fatalf("ReadFrame at end = %v, want EOF", err)
	}
}

func TestFrameErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"ZeroLength", []byte{0, 0}, wire.ErrFrame},
		{"Truncated", []byte{0, 5, 1, 2}, io.ErrUnexpectedEOF},
		{"HalfHeader", []byte{0}, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := wire.ReadFrame(bytes.NewReader(tt.in)); !errors.Is(err, tt.want) {
				t.Fatalf("ReadFrame = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := wire.WriteFrame(io.Discard, make([]byte, wire.MaxFrame+1)); !errors.Is(err, wire.ErrFrame) {
		t.Fatalf("oversized WriteFrame = %v", err)
	}
}

// TestKeyExchangeVector uses the computed vector of PROTOCOLS.md §2.10:
// ZPK A1B2…8F90 under ZMK 0123…3210 is FD7AF640961CDB8B5CCFBE13B358FE6E,
// KCV 76CDB5.
func TestKeyExchangeVector(t *testing.T) {
	t.Parallel()
	zmk := mustKey(t, "0123456789ABCDEFFEDCBA9876543210")
	zpk := mustKey(t, "A1B2C3D4E5F60718293A4B5C6D7E8F90")
	zak := mustKey(t, "F1E2D3C4B5A697887766554433221100")
	f48, err := wire.FormatKeyExchange(zmk, wire.WorkingKeys{ZPK: zpk, ZAK: zak})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(f48, "ZPKFD7AF640961CDB8B5CCFBE13B358FE6E76CDB5ZAK") || !strings.HasSuffix(f48, "D19103") || len(f48) != 82 {
		t.Fatalf("field 48 = %s", f48)
	}
	got, err := wire.ParseKeyExchange(zmk, f48)
	if err != nil || !got.ZPK.Equal(zpk) || !got.ZAK.Equal(zak) {
		t.Fatalf("ParseKeyExchange = %v, %v", got, err)
	}
	other := mustKey(t, "00112233445566778899AABBCCDDEEFF")
	if _, err := wire.ParseKeyExchange(other, f48); !errors.Is(err, hsm.ErrKCVMismatch) {
		t.Fatalf("under another ZMK: %v, want KCV mismatch", err)
	}
	for _, bad := range []string{"", "ZAK", "ZPK12ZAK12", "ZPKXX" + f48[5:], f48[:40]} {
		if _, err := wire.ParseKeyExchange(zmk, bad); err == nil {
			t.Fatalf("ParseKeyExchange(%q) succeeded", bad)
		}
	}
}

func TestOriginalData(t *testing.T) {
	t.Parallel()
	o := wire.OriginalData{MTI: "0200", STAN: "000123", TransmissionTime: "1125093000", AcquirerID: "48020000"}
	s, err := o.Format()
	if err != nil || s != "020000012311250930000004802000000000000000" {
		t.Fatalf("Format = %q, %v", s, err)
	}
	back, err := wire.ParseOriginalData(s)
	if err != nil || back.STAN != "000123" || back.AcquirerID != wire.PadID("48020000") || back.ForwarderID != "00000000000" {
		t.Fatalf("Parse = %+v, %v", back, err)
	}
	if _, err := (wire.OriginalData{MTI: "200", STAN: "1", TransmissionTime: "1"}).Format(); !errors.Is(err, wire.ErrOriginalData) {
		t.Fatalf("short fields: %v", err)
	}
	if _, err := wire.ParseOriginalData("12"); !errors.Is(err, wire.ErrOriginalData) {
		t.Fatalf("short field 90: %v", err)
	}
}

func TestSealVerifyAndPeek(t *testing.T) {
	t.Parallel()
	zak := mustKey(t, "F1E2D3C4B5A697887766554433221100")
	for _, name := range iso8583.Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d, err := iso8583.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			m := iso8583.NewMessage(d)
			_ = m.SetMTI("0200")
			_ = m.Set(iso8583.FieldSTAN, "004711")
			_ = m.Set(iso8583.FieldAmount, "100")
			raw, err := wire.Seal(m, hsm.AlgX919, zak)
			if err != nil {
				t.Fatal(err)
			}
			back, err := iso8583.Unpack(d, raw)
			if err != nil {
				t.Fatal(err)
			}
			if err := wire.VerifyMAC(back, raw, hsm.AlgX919, zak); err != nil {
				t.Fatalf("VerifyMAC = %v", err)
			}
			raw[5] ^= 1
			if back, err := iso8583.Unpack(d, raw); err == nil {
				if err := wire.VerifyMAC(back, raw, hsm.AlgX919, zak); !errors.Is(err, hsm.ErrMACMismatch) {
					t.Fatalf("VerifyMAC of altered message = %v", err)
				}
			}
			raw[5] ^= 1
			mti, stan, ok := wire.Peek(d, append(raw, 0xFF))
			if !ok || mti != "0200" || stan != "004711" {
				t.Fatalf("Peek = %q %q %v", mti, stan, ok)
			}
			if _, _, ok := wire.Peek(d, []byte{1}); ok {
				t.Fatal("Peek of garbage succeeded")
			}
		})
	}
}
