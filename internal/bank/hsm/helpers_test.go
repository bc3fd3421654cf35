package hsm

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

// mustKey parses a key or fails the test.
func mustKey(t testing.TB, s string) Key {
	t.Helper()
	k, err := ParseKey(s)
	if err != nil {
		t.Fatalf("ParseKey: %v", err)
	}
	return k
}

// mustHex decodes hex (spaces allowed) or fails the test.
func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

// upperHex renders b as upper-case hex, the form PROTOCOLS.md uses.
func upperHex(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

// fixedReader is an io.Reader that repeats its bytes forever.
type fixedReader struct{ b []byte }

func (r fixedReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.b[i%len(r.b)]
	}
	return len(p), nil
}

// assertNoSecret fails if s contains any of the secrets, in any case.
func assertNoSecret(t *testing.T, what, s string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if sec != "" && bytes.Contains([]byte(strings.ToUpper(s)), []byte(strings.ToUpper(sec))) {
			t.Errorf("%s %q reveals secret %q", what, s, sec)
		}
	}
}
