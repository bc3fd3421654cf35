package iso8583

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestUnpackRejectsTruncated cuts every example of every dialect at every
// length and expects ErrMalformed each time.
func TestUnpackRejectsTruncated(t *testing.T) {
	t.Parallel()
	for _, name := range Names() {
		for _, ex := range examples(name) {
			t.Run(name+ex.name, func(t *testing.T) {
				t.Parallel()
				d := mustLookup(t, name)
				packed := mustPack(t, mustBuild(t, d, ex))
				for n := range len(packed) {
					_, err := Unpack(d, packed[:n])
					var me *MalformedError
					if !errors.Is(err, ErrMalformed) || !errors.As(err, &me) {
						t.Fatalf("Unpack(first %d of %d bytes): err = %v, want *MalformedError", n, len(packed), err)
					}
					if me.Offset > n {
						t.Fatalf("offset %d beyond the %d bytes given", me.Offset, n)
					}
				}
			})
		}
	}
}

// TestUnpackRejectsTrailing appends garbage, or a second message, to every
// example and expects ErrMalformed caused by ErrTrailingBytes.
func TestUnpackRejectsTrailing(t *testing.T) {
	t.Parallel()
	for _, name := range Names() {
		for _, ex := range examples(name) {
			t.Run(name+ex.name, func(t *testing.T) {
				t.Parallel()
				d := mustLookup(t, name)
				packed := mustPack(t, mustBuild(t, d, ex))
				for _, extra := range [][]byte{{0}, {0xFF}, []byte("garbage!"), packed} {
					in := append(append([]byte(nil), packed...), extra...)
					_, err := Unpack(d, in)
					var me *MalformedError
					if !errors.As(err, &me) || !errors.Is(err, ErrTrailingBytes) {
						t.Fatalf("Unpack with %d extra bytes: err = %v, want trailing bytes", len(extra), err)
					}
					want := &MalformedError{Field: -1, Offset: len(packed)}
					if diff := cmp.Diff(want, me, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Err" }, cmp.Ignore())); diff != "" {
						t.Fatalf("(-want +got):\n%s", diff)
					}
				}
			})
		}
	}
}

// TestUnpackRejectsBadContent feeds hand-made bad messages.
func TestUnpackRejectsBadContent(t *testing.T) {
	t.Parallel()
	cmbHead := "30323030" // "0200"
	tests := []struct {
		name    string
		dialect string
		hex     string
		field   int
	}{
		{"Empty", "cmb", "", 0},
		{"MTILetters", "cmb", "30324130" + "0000000000000000", 0},
		{"MTIBCDNibbleF", "icbc", "020F" + "0000000000000000", 0},
		{"ShortBitmap", "cmb", cmbHead + "7238", 1},
		{"BadHexBitmap", "intl", cmbHead + fmt.Sprintf("%X", "00200000000000ZZ"), 1},
		{"ThirdBitmap", "cmb", cmbHead + "80000000000000008000000000000000" + "0000000000000000", 1},
		{"UndefinedBit5", "cmb", cmbHead + "0800000000000000" + "303030303030", 5},     // DE5 is not defined
		{"NumericWithLetter", "cmb", cmbHead + "2000000000000000" + "303030303041", 3}, // DE3 "00000A"
		{"PANLengthNotDigits", "cmb", cmbHead + "4000000000000000" + "3F31", 2},        // LL = "?1"
		{"PANTooLong", "cmb", cmbHead + "4000000000000000" + "3230" + strings.Repeat("31", 20), 2},
		{"PANBCDBadNibble", "icbc", "0200" + "4000000000000000" + "04" + "12A4", 2},
		{"Track2BCDBadNibble", "icbc", "0200" + "0000000020000000" + "04" + "12B4", 35},
		{"AnWithPunctuation", "cmb", cmbHead + "0000000002000000" + "2130", 39}, // DE39 "!0"
		{"AnsWithControl", "cmb", cmbHead + "0000000000800000" + "5445524D0A303031", 41},
		{"ASCIIHighBit", "cmb", cmbHead + "0000000000800000" + "5445524D80303031", 41},
		{"CurrencyNotAccepted", "cmb", cmbHead + "0000000000008000" + "383430", 49}, // USD in cmb
		{"ShortPIN", "cmb", cmbHead + "0000000000001000" + "01020304", 52},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Unpack(mustLookup(t, tt.dialect), mustHex(t, tt.hex))
			var me *MalformedError
			if !errors.As(err, &me) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want *MalformedError", err)
			}
			if me.Field != tt.field {
				t.Fatalf("Field = %d, want %d (%v)", me.Field, tt.field, err)
			}
		})
	}
}

// TestUnpackLenient pins what Unpack accepts although Pack would not emit
// it: lower-case hex bitmaps, a secondary bitmap with no field 65–128,
// 'D' as track-2 separator in ASCII.
func TestUnpackLenient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		dialect string
		hex     string
		want    map[int]string
	}{
		{"LowerCaseHexBitmap", "intl", "30383030" + fmt.Sprintf("%X", "002c000000000000") + "303030303031" + "30313032" + "32353132",
			map[int]string{0: "0800", 11: "000001", 13: "0102", 14: "2512"}},
		{"EmptySecondaryBitmap", "cmb", "30383030" + "8020000000000000" + "0000000000000000" + "303030303031",
			map[int]string{0: "0800", 11: "000001"}},
		{"PlusInASCIIPrefix", "cmb", "30323030" + "4000000000000000" + "2B34" + "31323334",
			map[int]string{0: "0200", 2: "1234"}},
		{"BCDPadNibbleNotZero", "icbc", "0200" + "4000000000000000" + "03" + "9123",
			map[int]string{0: "0200", 2: "123"}},
		{"Track2SeparatorD", "cmb", "30323030" + "0000000020000000" + "3037" + "34373631443235",
			map[int]string{0: "0200", 35: "4761=25"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := Unpack(mustLookup(t, tt.dialect), mustHex(t, tt.hex))
			if err != nil {
				t.Fatalf("Unpack: %v", err)
			}
			if diff := cmp.Diff(tt.want, values(m)); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}
