// Package vault seals small secrets — card numbers kept for refunds — for
// storage at rest (DESIGN §9): AES-256-GCM under one of several keys, each
// sealed value prefixed with the id of the key that sealed it, so that
// keys can rotate: new values are sealed under the current key, and older
// values still open under the key they name.
//
// A sealed value is "<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>"; the key
// id is also authenticated (GCM additional data), so a value cannot be
// passed off as sealed under another key. Neither errors nor log lines ever
// contain the plaintext.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// KeySize is the length of a vault key: 32 bytes, for AES-256.
const KeySize = 32

// Errors.
var (
	// ErrUnknownKey means a sealed value names a key the vault does not hold.
	ErrUnknownKey = errors.New("vault: unknown key id")
	// ErrMalformed means a sealed value is not one this package made.
	ErrMalformed = errors.New("vault: malformed sealed value")
	// ErrNotAuthentic means a sealed value does not open under its key: it
	// was altered, or the key file changed.
	ErrNotAuthentic = errors.New("vault: sealed value does not authenticate")
)

// Vault seals and opens secrets. It is safe for concurrent use.
type Vault struct {
	mu      sync.RWMutex
	aeads   map[string]cipher.AEAD
	current string
	dir     string // set by LoadOrCreate: unknown key ids reload it once
}

// New returns a vault over keys (key id → 32-byte key) that seals under
// the key named current. Key ids are 1–64 characters of a–z, 0–9, '-' and
// '_'.
func New(keys map[string][]byte, current string) (*Vault, error) {
	aeads, err := aeadsOf(keys)
	if err != nil {
		return nil, err
	}
	if _, ok := aeads[current]; !ok {
		return nil, fmt.Errorf("vault: current key %q is not among the keys", current)
	}
	return &Vault{aeads: aeads, current: current}, nil
}

func aeadsOf(keys map[string][]byte) (map[string]cipher.AEAD, error) {
	if len(keys) == 0 {
		return nil, errors.New("vault: no keys")
	}
	out := make(map[string]cipher.AEAD, len(keys))
	for id, k := range keys {
		if !validID(id) {
			return nil, fmt.Errorf("vault: key id %q: want 1–64 characters of a-z, 0-9, '-' and '_'", id)
		}
		if len(k) != KeySize {
			return nil, fmt.Errorf("vault: key %s is %d bytes, want %d", id, len(k), KeySize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("vault: key %s: %w", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("vault: key %s: %w", id, err)
		}
		out[id] = aead
	}
	return out, nil
}

// validID reports whether id may name a key.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// Current returns the id of the key new values are sealed under.
func (v *Vault) Current() string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.current
}

// KeyIDs returns the ids of the keys the vault holds, sorted.
func (v *Vault) KeyIDs() []string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	ids := make([]string, 0, len(v.aeads))
	for id := range v.aeads {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Seal encrypts plaintext under the current key with a fresh random nonce.
func (v *Vault) Seal(plaintext []byte) (string, error) {
	v.mu.RLock()
	id, aead := v.current, v.aeads[v.current]
	v.mu.RUnlock()
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("vault: nonce: %w", err)
	}
	sealed := aead.Seal(nonce, nonce, plaintext, []byte(id))
	return id + ":" + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Open decrypts a value made by [Vault.Seal] under any key the vault holds.
// A vault made by [LoadOrCreate] rereads its directory once when the value
// names a key it does not know (another instance may have just rotated).
// Errors: [ErrMalformed], [ErrUnknownKey], [ErrNotAuthentic].
func (v *Vault) Open(sealed string) ([]byte, error) {
	id, body, ok := strings.Cut(sealed, ":")
	if !ok || !validID(id) {
		return nil, ErrMalformed
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return nil, ErrMalformed
	}
	aead, err := v.aead(id)
	if err != nil {
		return nil, err
	}
	if len(raw) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrMalformed
	}
	n := aead.NonceSize()
	plain, err := aead.Open(nil, raw[:n], raw[n:], []byte(id))
	if err != nil {
		return nil, fmt.Errorf("%w (key %s)", ErrNotAuthentic, id)
	}
	return plain, nil
}

// aead returns the cipher of key id, reloading the key directory once if
// the vault has one and does not know id.
func (v *Vault) aead(id string) (cipher.AEAD, error) {
	v.mu.RLock()
	aead, ok := v.aeads[id]
	dir := v.dir
	v.mu.RUnlock()
	if ok {
		return aead, nil
	}
	if dir != "" {
		if keys, _, err := readKeys(dir); err == nil {
			if aeads, err := aeadsOf(keys); err == nil {
				v.mu.Lock()
				for k, a := range aeads {
					if _, have := v.aeads[k]; !have {
						v.aeads[k] = a
					}
				}
				aead, ok = v.aeads[id]
				v.mu.Unlock()
			}
		}
	}
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKey, id)
	}
	return aead, nil
}
