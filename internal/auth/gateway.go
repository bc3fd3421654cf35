package auth

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"paygate/internal/clock"
)

// Gateway key files are DIR/gateway-<keyid>.pem: one PKCS#8 "PRIVATE KEY"
// block with these PEM headers.
const (
	keyFilePrefix   = "gateway-"
	keyFileSuffix   = ".pem"
	pemHeaderAlg    = "Paygate-Alg"
	pemHeaderActive = "Paygate-Active-From" // RFC 3339 (with fractions); the key signs from then on
)

// KeyOptions are what gateway key management needs from outside.
type KeyOptions struct {
	// Rand is the source of keys and nonces (default crypto/rand).
	Rand io.Reader
	// Clock stamps signatures and decides which key is active (default: the
	// system clock).
	Clock clock.Clock
	// ActivateAfter delays a new key's first signature (in [Rotate]), so that
	// every instance has reloaded and publishes it before any response is
	// signed with it. Zero activates at once.
	ActivateAfter time.Duration
}

func (o KeyOptions) withDefaults() KeyOptions {
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	return o
}

// gatewayKey is one of the gateway's key pairs. It never prints its
// private half.
type gatewayKey struct {
	id         string
	alg        SignType
	signer     crypto.Signer
	public     crypto.PublicKey
	pem        string // public key, PKIX PEM
	activeFrom time.Time
}

// GatewayKeys are the gateway's signing keys, loaded from a directory. The
// newest key whose activation time has come signs; every key is published.
// It is safe for concurrent use; [GatewayKeys.Reload] picks up keys that
// another instance (or the CLI) added.
type GatewayKeys struct {
	dir  string
	opts KeyOptions
	mu   sync.RWMutex
	keys []*gatewayKey // sorted by activeFrom, then id
}

// PublicKeyInfo describes one published gateway key, as served by
// GET /v1/gateway-keys: {"keys":[{"key_id":…,"alg":…,"public_key_pem":…}]}.
type PublicKeyInfo struct {
	KeyID        string    `json:"key_id"`
	Alg          SignType  `json:"alg"`
	PublicKeyPEM string    `json:"public_key_pem"`
	ActiveFrom   time.Time `json:"active_from"`
}

// LoadOrCreateGatewayKeys loads the gateway keys in dir, creating dir (mode
// 0700) and a first key of type alg if there are none. When several
// instances share dir, create the first key before starting them (for
// example with [Rotate]), or two may each create one.
func LoadOrCreateGatewayKeys(dir string, alg SignType, opts KeyOptions) (*GatewayKeys, error) {
	opts = opts.withDefaults()
	g := &GatewayKeys{dir: dir, opts: opts}
	if err := g.Reload(); err != nil && !errors.Is(err, errNoKeys) {
		return nil, err
	}
	if len(g.keys) > 0 {
		return g, nil
	}
	first := opts
	first.ActivateAfter = 0
	if _, err := createKey(dir, alg, first); err != nil {
		return nil, err
	}
	if err := g.Reload(); err != nil {
		return nil, err
	}
	return g, nil
}

// LoadGatewayKeys loads the gateway keys in dir; there must be at least one.
func LoadGatewayKeys(dir string, opts KeyOptions) (*GatewayKeys, error) {
	g := &GatewayKeys{dir: dir, opts: opts.withDefaults()}
	if err := g.Reload(); err != nil {
		return nil, err
	}
	return g, nil
}

// Rotate adds a new gateway key of type alg to dir. It signs once
// opts.ActivateAfter has passed (after every instance reloaded, ideally);
// older keys stay published until their files are removed. It returns the
// new key's public description.
func Rotate(dir string, alg SignType, opts KeyOptions) (PublicKeyInfo, error) {
	k, err := createKey(dir, alg, opts.withDefaults())
	if err != nil {
		return PublicKeyInfo{}, err
	}
	return k.info(), nil
}

var errNoKeys = errors.New("no gateway keys")

// Reload rereads the key directory.
func (g *GatewayKeys) Reload() error {
	entries, err := os.ReadDir(g.dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("gateway keys: %w", err)
	}
	var keys []*gatewayKey
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasPrefix(name, keyFilePrefix) || !strings.HasSuffix(name, keyFileSuffix) {
			continue
		}
		k, err := readKeyFile(filepath.Join(g.dir, name))
		if err != nil {
			return err
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return fmt.Errorf("gateway keys in %s: %w", g.dir, errNoKeys)
	}
	sort.Slice(keys, func(i, j int) bool {
		if !keys[i].activeFrom.Equal(keys[j].activeFrom) {
			return keys[i].activeFrom.Before(keys[j].activeFrom)
		}
		return keys[i].id < keys[j].id
	})
	g.mu.Lock()
	g.keys = keys
	g.mu.Unlock()
	return nil
}

// active returns the key that signs now: the newest one already active, or
// the oldest if none is yet.
func (g *GatewayKeys) active() *gatewayKey {
	now := g.opts.Clock.Now()
	g.mu.RLock()
	defer g.mu.RUnlock()
	for i := len(g.keys) - 1; i >= 0; i-- {
		if !g.keys[i].activeFrom.After(now) {
			return g.keys[i]
		}
	}
	return g.keys[0]
}

// String describes the keys without any private material.
func (g *GatewayKeys) String() string {
	return fmt.Sprintf("gateway keys in %s (%d, active %s)", g.dir, len(g.PublicKeys()), g.ActiveKeyID())
}

// LogValue implements slog.LogValuer: key ids only, never private keys.
func (g *GatewayKeys) LogValue() slog.Value {
	return slog.GroupValue(slog.String("dir", g.dir), slog.String("active_key_id", g.ActiveKeyID()))
}

// ActiveKeyID returns the id of the key that signs now.
func (g *GatewayKeys) ActiveKeyID() string { return g.active().id }

// PublicKeys returns every gateway key, oldest first, for merchants to
// verify signatures by key id.
func (g *GatewayKeys) PublicKeys() []PublicKeyInfo {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make([]PublicKeyInfo, len(g.keys))
	for i, k := range g.keys {
		out[i] = k.info()
	}
	return out
}

func (k *gatewayKey) info() PublicKeyInfo {
	return PublicKeyInfo{KeyID: k.id, Alg: k.alg, PublicKeyPEM: k.pem, ActiveFrom: k.activeFrom}
}

// Sign signs a response or notification body and returns the headers to
// send with it: Paygate-Timestamp, Paygate-Nonce, Paygate-Key-Id and
// Paygate-Signature over [CanonicalResponse].
func (g *GatewayKeys) Sign(body []byte) (http.Header, error) {
	k := g.active()
	ts := strconv.FormatInt(g.opts.Clock.Now().Unix(), 10)
	nonce, err := newNonce(g.opts.Rand)
	if err != nil {
		return nil, err
	}
	sig, err := signMessage(k.alg, k.signer, g.opts.Rand, CanonicalResponse(ts, nonce, body))
	if err != nil {
		return nil, fmt.Errorf("sign with gateway key %s: %w", k.id, err)
	}
	h := make(http.Header, 4)
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderNonce, nonce)
	h.Set(HeaderKeyID, k.id)
	h.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	return h, nil
}

// Verify checks a gateway signature made by [GatewayKeys.Sign] with one of
// these keys. It checks no timestamp window; merchants' SDK does. It is for
// tests and tools.
func (g *GatewayKeys) Verify(h http.Header, body []byte) error {
	sig, err := base64.StdEncoding.DecodeString(h.Get(HeaderSignature))
	if err != nil {
		return fmt.Errorf("gateway signature: %w", err)
	}
	ts, nonce := h.Get(HeaderTimestamp), h.Get(HeaderNonce)
	return g.verify(h.Get(HeaderKeyID), CanonicalResponse(ts, nonce, body), sig)
}

func (g *GatewayKeys) verify(keyID string, msg, sig []byte) error {
	g.mu.RLock()
	defer g.mu.RUnlock()
	for _, k := range g.keys {
		if k.id == keyID {
			if !verifyMessage(k.alg, k.public, msg, sig) {
				return fmt.Errorf("gateway key %s: %w", keyID, ErrSignatureInvalid)
			}
			return nil
		}
	}
	return fmt.Errorf("gateway key %q: %w", keyID, ErrUnknownKey)
}

// SignReturn adds timestamp, nonce, key_id and sign to the return-URL
// parameters params (payment_id, merchant_order_no, status, …, and any the
// merchant's return_url already carries) and returns them; sign is the
// base64 signature of [CanonicalReturn] of all the others.
func (g *GatewayKeys) SignReturn(params url.Values) (url.Values, error) {
	k := g.active()
	nonce, err := newNonce(g.opts.Rand)
	if err != nil {
		return nil, err
	}
	out := make(url.Values, len(params)+4)
	for key, vs := range params {
		out[key] = append([]string(nil), vs...)
	}
	out.Set(ParamTimestamp, strconv.FormatInt(g.opts.Clock.Now().Unix(), 10))
	out.Set(ParamNonce, nonce)
	out.Set(ParamKeyID, k.id)
	out.Del(ParamSign)
	msg, err := CanonicalReturn(out)
	if err != nil {
		return nil, fmt.Errorf("sign return parameters: %w", err)
	}
	sig, err := signMessage(k.alg, k.signer, g.opts.Rand, []byte(msg))
	if err != nil {
		return nil, fmt.Errorf("sign with gateway key %s: %w", k.id, err)
	}
	out.Set(ParamSign, base64.StdEncoding.EncodeToString(sig))
	return out, nil
}

// VerifyReturn checks return-URL parameters signed by
// [GatewayKeys.SignReturn], without a timestamp window. It is for tests and
// tools.
func (g *GatewayKeys) VerifyReturn(params url.Values) error {
	sig, err := base64.StdEncoding.DecodeString(params.Get(ParamSign))
	if err != nil {
		return fmt.Errorf("return signature: %w", err)
	}
	msg, err := CanonicalReturn(params)
	if err != nil {
		return err
	}
	return g.verify(params.Get(ParamKeyID), []byte(msg), sig)
}

// newNonce returns 32 characters of base64url from 24 random bytes.
func newNonce(r io.Reader) (string, error) {
	var b [24]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("nonce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// createKey generates a key of type alg and writes it to dir, atomically
// and with mode 0600.
func createKey(dir string, alg SignType, opts KeyOptions) (*gatewayKey, error) {
	var signer crypto.Signer
	switch alg {
	case ED25519:
		_, priv, err := ed25519.GenerateKey(opts.Rand)
		if err != nil {
			return nil, fmt.Errorf("generate ed25519 gateway key: %w", err)
		}
		signer = priv
	case RSA2:
		priv, err := rsa.GenerateKey(opts.Rand, MinRSABits)
		if err != nil {
			return nil, fmt.Errorf("generate rsa gateway key: %w", err)
		}
		signer = priv
	default:
		return nil, fmt.Errorf("gateway key: unsupported algorithm %q: want ED25519 or RSA2", alg)
	}
	k, err := newGatewayKey(signer, opts.Clock.Now().Add(opts.ActivateAfter).UTC())
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(signer)
	if err != nil {
		return nil, fmt.Errorf("gateway key %s: marshal: %w", k.id, err)
	}
	block := &pem.Block{Type: "PRIVATE KEY", Headers: map[string]string{
		pemHeaderAlg:    string(alg),
		pemHeaderActive: k.activeFrom.Format(time.RFC3339Nano),
	}, Bytes: der}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("gateway keys: %w", err)
	}
	f, err := os.CreateTemp(dir, ".tmp-gateway-*")
	if err != nil {
		return nil, fmt.Errorf("gateway key %s: %w", k.id, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename it is gone already
	err = f.Chmod(0o600)
	if err == nil {
		err = pem.Encode(f, block)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, keyFilePrefix+k.id+keyFileSuffix))
	}
	if err != nil {
		return nil, fmt.Errorf("gateway key %s: write: %w", k.id, err)
	}
	return k, nil
}

func newGatewayKey(signer crypto.Signer, activeFrom time.Time) (*gatewayKey, error) {
	pub := signer.Public()
	alg, err := keyType(pub)
	if err != nil {
		return nil, fmt.Errorf("gateway key: %w", err)
	}
	id, err := KeyID(pub)
	if err != nil {
		return nil, err
	}
	p, err := MarshalPublicKeyPEM(pub)
	if err != nil {
		return nil, err
	}
	return &gatewayKey{id: id, alg: alg, signer: signer, public: pub, pem: string(p), activeFrom: activeFrom}, nil
}

// readKeyFile loads one key file, refusing files that others may read and
// files whose name does not match their key.
func readKeyFile(path string) (*gatewayKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("gateway key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("gateway key %s: mode %#o lets others read it; chmod 600 it", path, fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gateway key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("gateway key %s: want a PEM PRIVATE KEY block", path)
	}
	priv, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("gateway key %s: %w", path, err)
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("gateway key %s: unsupported key type %T", path, priv)
	}
	var activeFrom time.Time
	if s := block.Headers[pemHeaderActive]; s != "" {
		if activeFrom, err = time.Parse(time.RFC3339, s); err != nil {
			return nil, fmt.Errorf("gateway key %s: header %s: %w", path, pemHeaderActive, err)
		}
	}
	k, err := newGatewayKey(signer, activeFrom.UTC())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if want := keyFilePrefix + k.id + keyFileSuffix; filepath.Base(path) != want {
		return nil, fmt.Errorf("gateway key %s: holds key %s; rename it %s", path, k.id, want)
	}
	return k, nil
}
