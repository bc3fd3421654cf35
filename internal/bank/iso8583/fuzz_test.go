package iso8583

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzUnpackIcbc fuzzes Unpack in the icbc dialect.
func FuzzUnpackIcbc(f *testing.F) { fuzzUnpack(f, "icbc") }

// FuzzUnpackCmb fuzzes Unpack in the cmb dialect.
func FuzzUnpackCmb(f *testing.F) { fuzzUnpack(f, "cmb") }

// FuzzUnpackIntl fuzzes Unpack in the intl dialect.
func FuzzUnpackIntl(f *testing.F) { fuzzUnpack(f, "intl") }

// fuzzUnpack checks that Unpack never panics, fails only with
// ErrMalformed, and that whatever it accepts packs again, unpacks to the
// same values, and describes without showing the PAN.
func fuzzUnpack(f *testing.F, name string) {
	d := mustLookup(f, name)
	for _, n := range Names() { // every dialect's examples, cut and whole
		for _, ex := range examples(n) {
			packed := mustPack(f, mustBuild(f, mustLookup(f, n), ex))
			f.Add(packed)
			f.Add(packed[:len(packed)/2])
			f.Add(append(packed[:len(packed):len(packed)], 0))
		}
	}
	f.Add([]byte{})
	f.Add(mustHex(f, "30383030"+"8000000000000000"+"8000000000000000"+"0000000000000000"))

	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Unpack(d, data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not ErrMalformed: %v", err)
			}
			return
		}
		packed, err := Pack(m)
		if err != nil {
			t.Fatalf("accepted message does not pack: %v", err)
		}
		again, err := Unpack(d, packed)
		if err != nil {
			t.Fatalf("repacked message does not unpack: %v", err)
		}
		if diff := cmp.Diff(values(m), values(again)); diff != "" {
			t.Fatalf("values changed by a round trip (-first +second):\n%s", diff)
		}
		if pan := m.Get(FieldPAN); len(pan) >= 11 {
			// Other fields may contain the same digits, so look at field 2's
			// own line and token only.
			for _, line := range strings.Split(Describe(m), "\n") {
				if strings.HasPrefix(line, "F2 ") && strings.Contains(line, pan) {
					t.Fatalf("Describe shows the PAN: %s", line)
				}
			}
			for _, tok := range strings.Fields(m.String()) {
				if strings.HasPrefix(tok, "2=") && strings.Contains(tok, pan) {
					t.Fatalf("String shows the PAN: %s", tok)
				}
			}
		}
	})
}
