package auth

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
)

// SignType names a signature algorithm, as sent in Paygate-Sign-Type.
type SignType string

// The supported signature algorithms.
const (
	RSA2    SignType = "RSA2"    // SHA256withRSA, PKCS#1 v1.5, keys of at least 2048 bits
	ED25519 SignType = "ED25519" // Ed25519 (pure, RFC 8032)
)

// MinRSABits is the shortest RSA modulus accepted, for merchants' keys and
// the gateway's.
const MinRSABits = 2048

// ParseSignType returns the sign type named s, exactly as spelled in the
// header ("RSA2" or "ED25519").
func ParseSignType(s string) (SignType, error) {
	switch SignType(s) {
	case RSA2, ED25519:
		return SignType(s), nil
	}
	return "", fmt.Errorf("sign type %q: want RSA2 or ED25519", s)
}

// ErrWeakKey is returned (wrapped) when an RSA key is shorter than
// [MinRSABits].
var ErrWeakKey = errors.New("rsa key shorter than 2048 bits")

// MerchantKey is one of a merchant's registered public keys.
type MerchantKey struct {
	ID     string           // the key's id, stable per merchant (may be [KeyID] of Public)
	Type   SignType         // RSA2 for *rsa.PublicKey, ED25519 for ed25519.PublicKey
	Public crypto.PublicKey // *rsa.PublicKey or ed25519.PublicKey
}

// ParsePublicKeyPEM parses one PEM-encoded public key: a PKIX "PUBLIC KEY"
// holding an RSA or Ed25519 key, or a PKCS#1 "RSA PUBLIC KEY". RSA keys
// shorter than 2048 bits are refused ([ErrWeakKey]). It returns the key and
// the sign type it is for.
func ParsePublicKeyPEM(data []byte) (crypto.PublicKey, SignType, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, "", errors.New("parse public key: no PEM block found")
	}
	if next, _ := pem.Decode(rest); next != nil {
		return nil, "", errors.New("parse public key: more than one PEM block")
	}
	var pub crypto.PublicKey
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, "", fmt.Errorf("parse public key: %w", err)
		}
		pub = k
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, "", fmt.Errorf("parse public key: %w", err)
		}
		pub = k
	case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY":
		return nil, "", fmt.Errorf("parse public key: got a %s; register only the public key", block.Type)
	default:
		return nil, "", fmt.Errorf("parse public key: PEM type %q: want PUBLIC KEY or RSA PUBLIC KEY", block.Type)
	}
	t, err := keyType(pub)
	if err != nil {
		return nil, "", fmt.Errorf("parse public key: %w", err)
	}
	return pub, t, nil
}

// ParseMerchantKey parses a merchant's PEM public key ([ParsePublicKeyPEM])
// into a [MerchantKey] with the given id, or with [KeyID] of the key when id
// is empty.
func ParseMerchantKey(id string, data []byte) (MerchantKey, error) {
	pub, t, err := ParsePublicKeyPEM(data)
	if err != nil {
		return MerchantKey{}, err
	}
	if id == "" {
		if id, err = KeyID(pub); err != nil {
			return MerchantKey{}, err
		}
	}
	return MerchantKey{ID: id, Type: t, Public: pub}, nil
}

// MarshalPublicKeyPEM encodes pub as a PKIX "PUBLIC KEY" PEM block.
func MarshalPublicKeyPEM(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("marshal public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// KeyID returns the id of a public key: the first 16 hex digits of the
// SHA-256 of its SPKI (PKIX) DER encoding.
func KeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("key id: %w", err)
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:8]), nil
}

// keyType returns the sign type for pub, refusing unsupported and weak keys.
func keyType(pub crypto.PublicKey) (SignType, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N == nil || k.N.BitLen() < MinRSABits {
			bits := 0
			if k.N != nil {
				bits = k.N.BitLen()
			}
			return "", fmt.Errorf("%d-bit key: %w", bits, ErrWeakKey)
		}
		return RSA2, nil
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return "", fmt.Errorf("ed25519 key of %d bytes", len(k))
		}
		return ED25519, nil
	}
	return "", fmt.Errorf("unsupported key type %T: want RSA or Ed25519", pub)
}

// verifyMessage reports whether sig is pub's signature of msg under t. It
// never panics on malformed keys or signatures.
func verifyMessage(t SignType, pub crypto.PublicKey, msg, sig []byte) bool {
	switch t {
	case RSA2:
		k, ok := pub.(*rsa.PublicKey)
		if !ok || k.N == nil || k.N.BitLen() < MinRSABits {
			return false
		}
		sum := sha256.Sum256(msg)
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], sig) == nil
	case ED25519:
		k, ok := pub.(ed25519.PublicKey)
		if !ok || len(k) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
			return false
		}
		return ed25519.Verify(k, msg, sig)
	}
	return false
}

// signMessage signs msg with s as sign type t. rand is used by signers
// that want randomness (RSA blinding); Ed25519 and PKCS#1 v1.5 signatures
// are deterministic.
func signMessage(t SignType, s crypto.Signer, rand io.Reader, msg []byte) ([]byte, error) {
	switch t {
	case RSA2:
		sum := sha256.Sum256(msg)
		return s.Sign(rand, sum[:], crypto.SHA256)
	case ED25519:
		return s.Sign(rand, msg, crypto.Hash(0))
	}
	return nil, fmt.Errorf("sign: unsupported sign type %q", t)
}
