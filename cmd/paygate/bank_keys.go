package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"paygate/internal/bank/hsm"
)

// loadOrCreateZMK reads the zone master key of bank from dir/<bank>.zmk
// (hex, optionally "tdes:"/"aes:"-prefixed), or, when the file does not
// exist, generates one of kind and writes it with mode 0600 — the demo's
// stand-in for keys exchanged out of band. The simulator and the gateway
// read the same file, so they share the key without it being in code.
func loadOrCreateZMK(dir, bank string, kind hsm.Kind) (hsm.Key, bool, error) {
	path := filepath.Join(dir, bank+".zmk")
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := hsm.ParseKey(strings.TrimSpace(string(b)))
		if err != nil {
			return hsm.Key{}, false, fmt.Errorf("zone master key %s: %w", path, err)
		}
		return k, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return hsm.Key{}, false, fmt.Errorf("zone master key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return hsm.Key{}, false, fmt.Errorf("zone master key: %w", err)
	}
	k, text, err := newKeyText(kind)
	if err != nil {
		return hsm.Key{}, false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // another process won the race: use its key
		return loadOrCreateZMK(dir, bank, kind)
	}
	if err != nil {
		return hsm.Key{}, false, fmt.Errorf("zone master key: %w", err)
	}
	if _, err := f.WriteString(text + "\n"); err != nil {
		f.Close()
		return hsm.Key{}, false, fmt.Errorf("zone master key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return hsm.Key{}, false, fmt.Errorf("zone master key %s: %w", path, err)
	}
	return k, true, nil
}

// newKeyText returns a random key of kind and its ParseKey form. The hex is
// produced from random bytes here (hsm.Key never exports its bytes).
func newKeyText(kind hsm.Kind) (hsm.Key, string, error) {
	for range 8 {
		raw := make([]byte, kind.Size())
		if _, err := rand.Read(raw); err != nil {
			return hsm.Key{}, "", fmt.Errorf("zone master key: %w", err)
		}
		text := fmt.Sprintf("%X", raw)
		if kind == hsm.AES128 || kind == hsm.AES192 {
			text = "aes:" + text
		}
		k, err := hsm.ParseKey(text)
		if err == nil && k.Kind() == kind {
			return k, text, nil
		}
	}
	return hsm.Key{}, "", errors.New("zone master key: could not generate")
}
