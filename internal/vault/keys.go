package vault

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Key files are DIR/vault-<id>.key holding the key's 32 raw bytes (mode
// 0600), beside the gateway's signing keys in DATA_DIR/keys. Ids begin with
// their creation time (UTC), so the newest key sorts last and is current.
const (
	keyFilePrefix = "vault-"
	keyFileSuffix = ".key"
)

// LoadOrCreate returns a vault over the key files in dir, sealing under the
// newest; if dir holds none, it creates dir (mode 0700) and a first key.
// Several instances sharing a database must share the keys (the same dir,
// or copies of its vault-*.key files): a value sealed by one instance opens
// only where its key is. When several instances start on an empty dir at
// once each may create a key; values still open everywhere the files are
// shared, because [Vault.Open] rereads dir for unknown keys.
func LoadOrCreate(dir string) (*Vault, error) {
	keys, current, err := readKeys(dir)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		if _, err := Rotate(dir); err != nil {
			return nil, err
		}
		if keys, current, err = readKeys(dir); err != nil {
			return nil, err
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("vault keys in %s: created a key but cannot read it back", dir)
		}
	}
	v, err := New(keys, current)
	if err != nil {
		return nil, fmt.Errorf("vault keys in %s: %w", dir, err)
	}
	v.dir = dir
	return v, nil
}

// Rotate creates a new key in dir and returns its id. It becomes the
// current key of vaults loaded from dir afterwards; older keys stay and
// still open what they sealed. Remove an old key's file only once nothing
// sealed under it is kept.
func Rotate(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("vault keys: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("vault key: %w", err)
	}
	suffix := make([]byte, 4)
	if _, err := rand.Read(suffix); err != nil {
		return "", fmt.Errorf("vault key: %w", err)
	}
	now := time.Now().UTC()
	id := fmt.Sprintf("%st%011d-%s", now.Format("20060102"), now.Sub(now.Truncate(24*time.Hour)).Nanoseconds()/1000, hex.EncodeToString(suffix))
	f, err := os.CreateTemp(dir, ".tmp-vault-*")
	if err != nil {
		return "", fmt.Errorf("vault key %s: %w", id, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // gone already after a successful rename
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(key)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, keyFilePrefix+id+keyFileSuffix))
	}
	if err != nil {
		return "", fmt.Errorf("vault key %s: write: %w", id, err)
	}
	return id, nil
}

// readKeys reads every key file in dir and returns the keys and the id of
// the newest (the greatest id). A missing dir holds no keys.
func readKeys(dir string) (map[string][]byte, string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("vault keys: %w", err)
	}
	keys := map[string][]byte{}
	current := ""
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasPrefix(name, keyFilePrefix) || !strings.HasSuffix(name, keyFileSuffix) {
			continue
		}
		id := strings.TrimSuffix(strings.TrimPrefix(name, keyFilePrefix), keyFileSuffix)
		if !validID(id) {
			return nil, "", fmt.Errorf("vault key file %s: bad key id", name)
		}
		k, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, "", fmt.Errorf("vault key %s: %w", id, err)
		}
		if len(k) != KeySize {
			return nil, "", fmt.Errorf("vault key %s: %d bytes, want %d", id, len(k), KeySize)
		}
		keys[id] = k
		if id > current {
			current = id
		}
	}
	return keys, current, nil
}
