package iso8583

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeMAC is a deterministic 8-byte "MAC" for tests that do not need DES.
func fakeMAC(mab []byte) ([]byte, error) {
	sum := sha256.Sum256(mab)
	return sum[:8], nil
}

func TestSealAndMAB(t *testing.T) {
	t.Parallel()
	for _, name := range Names() {
		for _, ex := range examples(name) {
			t.Run(name+ex.name, func(t *testing.T) {
				t.Parallel()
				d := mustLookup(t, name)
				m := mustBuild(t, d, ex)
				wantField := FieldMAC
				if m.Has(FieldNetworkCode) || m.Has(FieldOriginalData) {
					wantField = FieldMAC2
				}
				if got := MACField(m); got != wantField {
					t.Fatalf("MACField = %d, want %d", got, wantField)
				}
				var seen []byte
				sealed, err := Seal(m, func(mab []byte) ([]byte, error) {
					seen = bytes.Clone(mab)
					return fakeMAC(mab)
				})
				if err != nil {
					t.Fatalf("Seal: %v", err)
				}
				mab, mac, err := MAB(d, sealed)
				if err != nil {
					t.Fatalf("MAB: %v", err)
				}
				want, _ := fakeMAC(seen)
				if diff := cmp.Diff([][]byte{seen, want, want}, [][]byte{mab, mac, m.Bytes(wantField)}); diff != "" {
					t.Fatalf("(-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(sealed, mustPack(t, m)); diff != "" {
					t.Fatalf("Seal output differs from packing the sealed message:\n%s", diff)
				}
				if m.Has(FieldMAC) && m.Has(FieldMAC2) {
					t.Fatal("both MAC fields present")
				}
			})
		}
	}
}

func TestSealSwitchesToMAC2(t *testing.T) {
	t.Parallel()
	d := mustLookup(t, "cmb")
	m := mustBuild(t, d, sample0200)
	if err := m.Set(FieldNetworkCode, NetEcho); err != nil {
		t.Fatal(err)
	}
	if _, err := Seal(m, fakeMAC); err != nil {
		t.Fatal(err)
	}
	if m.Has(FieldMAC) || !m.Has(FieldMAC2) {
		t.Fatalf("fields after Seal: %v", m.Fields())
	}
}

func TestMABErrors(t *testing.T) {
	t.Parallel()
	d := mustLookup(t, "cmb")
	noMAC := mustPack(t, mustBuild(t, d, sample0800))
	macThen70 := mustBuild(t, d, sample0200)
	if err := macThen70.Set(FieldNetworkCode, NetEcho); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"NoMAC", noMAC, ErrNoMAC},
		{"MACNotLast", mustPack(t, macThen70), ErrNoMAC},
		{"Malformed", noMAC[:5], ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, _, err := MAB(d, tt.in); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}

	bad := func([]byte) ([]byte, error) { return []byte{1, 2, 3}, nil }
	if _, err := Seal(mustBuild(t, d, sample0800), bad); err == nil {
		t.Fatal("Seal accepted a 3-byte MAC")
	}
	failing := func([]byte) ([]byte, error) { return nil, errors.New("hsm down") }
	if _, err := Seal(mustBuild(t, d, sample0800), failing); err == nil {
		t.Fatal("Seal ignored the MAC error")
	}
}
