package auth

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"paygate/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// testKeys are generated once: RSA key generation is slow.
var testKeys = sync.OnceValue(func() struct {
	rsa, rsa2, rsaShort *rsa.PrivateKey
	ed, ed2             ed25519.PrivateKey
} {
	var k struct {
		rsa, rsa2, rsaShort *rsa.PrivateKey
		ed, ed2             ed25519.PrivateKey
	}
	var err error
	for _, p := range []struct {
		dst  **rsa.PrivateKey
		bits int
	}{{&k.rsa, 2048}, {&k.rsa2, 2048}, {&k.rsaShort, 1024}} {
		if *p.dst, err = rsa.GenerateKey(rand.Reader, p.bits); err != nil {
			panic(err)
		}
	}
	_, k.ed, _ = ed25519.GenerateKey(rand.Reader)
	_, k.ed2, _ = ed25519.GenerateKey(rand.Reader)
	return k
})

var testStart = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// signedRequest is a merchant request under construction.
type signedRequest struct {
	method, target string
	body           []byte
	merchant       string
	ts             time.Time
	nonce          string
	signType       SignType
	key            crypto.Signer
	keyID          string
}

// newNonceForTest returns a fresh valid nonce.
func newNonceForTest(t testing.TB) string {
	t.Helper()
	n, err := newNonce(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// build signs the request and returns it as the server would receive it.
func (s signedRequest) build(t testing.TB) *http.Request {
	t.Helper()
	ts := strconv.FormatInt(s.ts.Unix(), 10)
	sig, err := signMessage(s.signType, s.key, rand.Reader, CanonicalRequest(s.method, s.target, ts, s.nonce, s.body))
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	r := httptest.NewRequest(s.method, s.target, strings.NewReader(string(s.body)))
	r.Header.Set(HeaderMerchant, s.merchant)
	r.Header.Set(HeaderTimestamp, ts)
	r.Header.Set(HeaderNonce, s.nonce)
	r.Header.Set(HeaderSignType, string(s.signType))
	r.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	if s.keyID != "" {
		r.Header.Set(HeaderKeyID, s.keyID)
	}
	return r
}

// mapLookup serves merchants' keys from a map.
func mapLookup(m map[string][]MerchantKey) KeyLookup {
	return func(_ context.Context, merchantID string) ([]MerchantKey, error) {
		keys, ok := m[merchantID]
		if !ok {
			return nil, ErrUnknownMerchant
		}
		return keys, nil
	}
}

// mustMerchantKey returns the MerchantKey of s's public half.
func mustMerchantKey(t testing.TB, s crypto.Signer) MerchantKey {
	t.Helper()
	pub := s.Public()
	id, err := KeyID(pub)
	if err != nil {
		t.Fatal(err)
	}
	typ := ED25519
	if _, ok := pub.(*rsa.PublicKey); ok {
		typ = RSA2
	}
	return MerchantKey{ID: id, Type: typ, Public: pub}
}

// memNonces is an in-memory NonceChecker for tests that are not about the
// store.
type memNonces struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (m *memNonces) Use(_ context.Context, merchantID, nonce string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = map[string]bool{}
	}
	k := merchantID + "\x00" + nonce
	if m.seen[k] {
		return ErrNonceReused
	}
	m.seen[k] = true
	return nil
}
