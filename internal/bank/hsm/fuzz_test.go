package hsm

import (
	"bytes"
	"testing"
)

// FuzzDecryptPINBlock0 feeds arbitrary keys, blocks and PANs. It must never
// panic; whenever it returns a PIN, that PIN is valid and re-encrypts to the
// very same block (format 0 is deterministic), and errors never contain the
// PAN.
func FuzzDecryptPINBlock0(f *testing.F) {
	f.Add(mustHex(f, vecTDESKey), mustHex(f, "AC0708A3C923D34D"), "4761739001010119")
	f.Add(mustHex(f, vecTDESKey), mustHex(f, "2A3D408A1977DDE9"), "4111111111111111")
	f.Add(mustHex(f, vecZPK), mustHex(f, "382DAE098C19D199"), "4111111111111111")
	f.Add(mustHex(f, vecTDESKey+"0123456789ABCDEF"), mustHex(f, "0000000000000000"), "43219876543210987")
	f.Add(mustHex(f, vecAESKey), []byte{}, "")
	f.Add([]byte{1, 2, 3}, mustHex(f, "AC0708A3C923D34D00"), "476173900101011x")
	f.Fuzz(func(t *testing.T, keyBytes, block []byte, pan string) {
		kind := TDES2
		if len(keyBytes) == 24 {
			kind = TDES3
		}
		key, err := KeyFromBytes(kind, keyBytes)
		if err != nil {
			key = Key{} // the zero key must be handled too
		}
		pin, err := DecryptPINBlock0(key, block, pan)
		if err != nil {
			if pin != "" {
				t.Fatalf("PIN returned with error %v", err)
			}
			if len(pan) >= 6 && bytes.Contains([]byte(err.Error()), []byte(pan)) {
				t.Fatalf("error reveals PAN: %v", err)
			}
			return
		}
		if checkPIN(pin) != nil {
			t.Fatalf("decrypted an invalid PIN of length %d", len(pin))
		}
		again, err := EncryptPINBlock0(key, pin, pan)
		if err != nil {
			t.Fatalf("re-encrypt: %v", err)
		}
		if !bytes.Equal(again, block) {
			t.Fatalf("re-encrypted block %X differs from %X", again, block)
		}
	})
}
