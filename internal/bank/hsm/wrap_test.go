package hsm

import (
	"errors"
	"testing"

	"pgregory.net/rapid"
)

func TestWrapKeyVector(t *testing.T) {
	t.Parallel()
	zmk, zpk := mustKey(t, vecTDESKey), mustKey(t, vecZPK)
	crypt, kcv, err := WrapKey(zmk, zpk)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := upperHex(crypt), "FD7AF640961CDB8B5CCFBE13B358FE6E"; got != want {
		t.Errorf("cryptogram = %s, want %s", got, want)
	}
	if kcv != "76CDB5" {
		t.Errorf("kcv = %s, want 76CDB5", kcv)
	}
	for _, announced := range []string{"76CDB5", "76cdb5"} {
		got, err := UnwrapKey(zmk, crypt, announced)
		if err != nil {
			t.Fatalf("UnwrapKey(%s): %v", announced, err)
		}
		if !got.Equal(zpk) || got.Kind() != TDES2 {
			t.Errorf("unwrapped %v (%s), want %v", got, got.Kind(), zpk)
		}
	}
}

func TestUnwrapKeyErrors(t *testing.T) {
	t.Parallel()
	zmk := mustKey(t, vecTDESKey)
	crypt := mustHex(t, "FD7AF640961CDB8B5CCFBE13B358FE6E")
	corrupt := append([]byte(nil), crypt...)
	corrupt[0] ^= 1
	tests := []struct {
		name    string
		zmk     Key
		crypt   []byte
		kcv     string
		wantErr error
	}{
		{"WrongZMK", mustKey(t, vecZAK), crypt, "76CDB5", ErrKCVMismatch},
		{"CorruptCryptogram", zmk, corrupt, "76CDB5", ErrKCVMismatch},
		{"WrongKCV", zmk, crypt, "76CDB6", ErrKCVMismatch},
		{"MalformedKCV", zmk, crypt, "76CDB", ErrKCVMismatch},
		{"NonHexKCV", zmk, crypt, "76CDBZ", ErrKCVMismatch},
		{"NonASCIIKCV", zmk, crypt, "76CDé", ErrKCVMismatch},
		{"ShortCryptogram", zmk, crypt[:8], "76CDB5", ErrInvalidKey},
		{"AESLengthUnderTDES", zmk, append(crypt, crypt...), "76CDB5", ErrInvalidKey},
		{"ZeroZMK", Key{}, crypt, "76CDB5", ErrInvalidKey},
		{"DESZMK", mustKey(t, "des:0123456789ABCDEF"), crypt, "76CDB5", ErrKeyKind},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := UnwrapKey(tt.zmk, tt.crypt, tt.kcv)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if k.Valid() {
				t.Errorf("got a key with an error")
			}
			assertNoSecret(t, "error", err.Error(), vecTDESKey, vecZPK, vecZAK, vecZPK[:8], vecTDESKey[:8])
		})
	}
}

func TestWrapKeyKinds(t *testing.T) {
	t.Parallel()
	tdes, aes128 := mustKey(t, vecTDESKey), mustKey(t, "aes:"+vecAESKey)
	tests := []struct {
		name         string
		zmk, working Key
		wantErr      error
	}{
		{"TDESUnderTDES", tdes, mustKey(t, vecZPK), nil},
		{"TripleUnderTDES", tdes, mustKey(t, vecZPK+"0011223344556677"), nil},
		{"AES128UnderAES", aes128, mustKey(t, "aes:"+vecZPK), nil},
		{"AES256UnderAES", aes128, mustKey(t, vecAESKey+vecZAK), nil},
		{"AES192UnderAES", aes128, mustKey(t, "aes:"+vecZPK+"0011223344556677"), ErrKeyKind},
		{"AESUnderTDES", tdes, aes128, ErrKeyKind},
		{"TDESUnderAES", aes128, tdes, ErrKeyKind},
		{"DESWorking", tdes, mustKey(t, "des:0123456789ABCDEF"), ErrKeyKind},
		{"ZeroWorking", tdes, Key{}, ErrInvalidKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			crypt, kcv, err := WrapKey(tt.zmk, tt.working)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			got, err := UnwrapKey(tt.zmk, crypt, kcv)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tt.working) {
				t.Errorf("round trip gave %v (%s), want %v (%s)", got, got.Kind(), tt.working, tt.working.Kind())
			}
		})
	}
}

func TestWrapUnwrapProperty(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		aes := rapid.Bool().Draw(t, "aes")
		zmkKinds, workKinds := []Kind{TDES2, TDES3}, []Kind{TDES2, TDES3}
		if aes {
			zmkKinds, workKinds = []Kind{AES128, AES192, AES256}, []Kind{AES128, AES256}
		}
		zk := rapid.SampledFrom(zmkKinds).Draw(t, "zmkKind")
		wk := rapid.SampledFrom(workKinds).Draw(t, "workKind")
		zmk := mustKeyFromBytes(t, zk, rapid.SliceOfN(rapid.Byte(), zk.Size(), zk.Size()).Draw(t, "zmk"))
		work := mustKeyFromBytes(t, wk, rapid.SliceOfN(rapid.Byte(), wk.Size(), wk.Size()).Draw(t, "work"))
		crypt, kcv, err := WrapKey(zmk, work)
		if err != nil {
			t.Fatal(err)
		}
		got, err := UnwrapKey(zmk, crypt, kcv)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(work) {
			t.Fatalf("unwrapped %v, want %v", got, work)
		}
	})
}
