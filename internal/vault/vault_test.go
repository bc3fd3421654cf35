package vault_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"paygate/internal/vault"
)

func newKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, vault.KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	v, err := vault.New(map[string][]byte{"k1": newKey(t)}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	pan := []byte("6222020000000000018")
	a, err := v.Seal(pan)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := v.Seal(pan)
	if a == b {
		t.Fatal("two seals of the same value are equal: the nonce is not fresh")
	}
	if !strings.HasPrefix(a, "k1:") || strings.Contains(a, "0000000018") {
		t.Fatalf("sealed %q: want the key id prefix and no plaintext", a)
	}
	got, err := v.Open(a)
	if err != nil || !bytes.Equal(got, pan) {
		t.Fatalf("Open = %q, %v", got, err)
	}
}

func TestOpenRefusesTampering(t *testing.T) {
	t.Parallel()
	k1, k2 := newKey(t), newKey(t)
	v, err := vault.New(map[string][]byte{"k1": k1, "k2": k2}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := v.Seal([]byte("4111111111111111"))
	body := strings.TrimPrefix(sealed, "k1:")
	flipped := []byte(body)
	if flipped[10] == 'A' {
		flipped[10] = 'B'
	} else {
		flipped[10] = 'A'
	}
	tests := []struct {
		name   string
		sealed string
		want   error
	}{
		{"NoPrefix", body, vault.ErrMalformed},
		{"BadBase64", "k1:***", vault.ErrMalformed},
		{"Short", "k1:AAAA", vault.ErrMalformed},
		{"UnknownKey", "k9:" + body, vault.ErrUnknownKey},
		{"OtherKeyID", "k2:" + body, vault.ErrNotAuthentic},
		{"Altered", "k1:" + string(flipped), vault.ErrNotAuthentic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := v.Open(tt.sealed); !errors.Is(err, tt.want) {
				t.Fatalf("Open = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNewRefusesBadKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		keys    map[string][]byte
		current string
	}{
		{"NoKeys", nil, "k"},
		{"Short", map[string][]byte{"k": make([]byte, 16)}, "k"},
		{"BadID", map[string][]byte{"K:1": newKey(t)}, "K:1"},
		{"NoCurrent", map[string][]byte{"k": newKey(t)}, "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := vault.New(tt.keys, tt.current); err == nil {
				t.Fatal("New accepted bad keys")
			}
		})
	}
}

// TestLoadOrCreateAndRotate: the first load makes a key file of 32 bytes,
// mode 0600; a rotation makes a newer key current while older values still
// open; a vault loaded before the rotation opens values sealed after it.
func TestLoadOrCreateAndRotate(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	v1, err := vault.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "vault-*.key"))
	if len(files) != 1 {
		t.Fatalf("key files %v", files)
	}
	st, err := os.Stat(files[0])
	if err != nil || st.Size() != vault.KeySize || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v: %v", st, err)
	}
	old, _ := v1.Seal([]byte("6214830000000000015"))
	again, err := vault.LoadOrCreate(dir)
	if err != nil || again.Current() != v1.Current() {
		t.Fatalf("reload made another key: %v %v", again, err)
	}
	id, err := vault.Rotate(dir)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := vault.LoadOrCreate(dir)
	if err != nil || v2.Current() != id || len(v2.KeyIDs()) != 2 {
		t.Fatalf("after rotation: current %s of %v, %v; want %s", v2.Current(), v2.KeyIDs(), err, id)
	}
	if got, err := v2.Open(old); err != nil || string(got) != "6214830000000000015" {
		t.Fatalf("old value under the new vault: %q %v", got, err)
	}
	fresh, _ := v2.Seal([]byte("6222020000000000018"))
	if !strings.HasPrefix(fresh, id+":") {
		t.Fatalf("sealed %q, want under %s", fresh, id)
	}
	if got, err := v1.Open(fresh); err != nil || string(got) != "6222020000000000018" {
		t.Fatalf("new value under the vault loaded before the rotation: %q %v", got, err)
	}
}
