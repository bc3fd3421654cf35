package sdk

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
)

// Header names of the signing scheme.
const (
	HeaderMerchant       = "Paygate-Merchant"
	HeaderTimestamp      = "Paygate-Timestamp"
	HeaderNonce          = "Paygate-Nonce"
	HeaderSignType       = "Paygate-Sign-Type"
	HeaderSignature      = "Paygate-Signature"
	HeaderKeyID          = "Paygate-Key-Id"
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderRequestID      = "Paygate-Request-Id"
)

// Sign types, as sent in Paygate-Sign-Type and as gateway key algorithms.
const (
	SignTypeRSA2    = "RSA2"    // SHA256withRSA, PKCS#1 v1.5, at least 2048 bits
	SignTypeED25519 = "ED25519" // Ed25519
)

// CanonicalRequest returns the string a merchant signs:
// METHOD "\n" PATH_AND_QUERY "\n" TIMESTAMP "\n" NONCE "\n" BODY "\n".
func CanonicalRequest(method, pathAndQuery, timestamp, nonce string, body []byte) []byte {
	b := make([]byte, 0, len(method)+len(pathAndQuery)+len(timestamp)+len(nonce)+len(body)+5)
	b = append(b, method...)
	b = append(b, '\n')
	b = append(b, pathAndQuery...)
	b = append(b, '\n')
	b = append(b, timestamp...)
	b = append(b, '\n')
	b = append(b, nonce...)
	b = append(b, '\n')
	b = append(b, body...)
	return append(b, '\n')
}

// CanonicalResponse returns the string the gateway signs for responses and
// notifications: TIMESTAMP "\n" NONCE "\n" BODY "\n".
func CanonicalResponse(timestamp, nonce string, body []byte) []byte {
	b := make([]byte, 0, len(timestamp)+len(nonce)+len(body)+3)
	b = append(b, timestamp...)
	b = append(b, '\n')
	b = append(b, nonce...)
	b = append(b, '\n')
	b = append(b, body...)
	return append(b, '\n')
}

// CanonicalReturn returns the string the gateway signs for return-URL
// parameters: every parameter except "sign", sorted by key, as
// url.QueryEscape(key) "=" url.QueryEscape(value) joined by "&". A repeated
// parameter is an error.
func CanonicalReturn(values url.Values) (string, error) {
	keys := make([]string, 0, len(values))
	for k, vs := range values {
		if k == "sign" {
			continue
		}
		if len(vs) != 1 {
			return "", fmt.Errorf("return parameter %q: parameter repeated", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(values[k][0]))
	}
	return b.String(), nil
}

// signType returns the sign type for a merchant's signer.
func signType(s crypto.Signer) (string, error) {
	switch k := s.Public().(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return "", fmt.Errorf("rsa key of %d bits: the gateway wants at least 2048", k.N.BitLen())
		}
		return SignTypeRSA2, nil
	case ed25519.PublicKey:
		return SignTypeED25519, nil
	}
	return "", fmt.Errorf("unsupported key type %T: want RSA or Ed25519", s.Public())
}

// sign signs msg with s as sign type t.
func sign(t string, s crypto.Signer, rand io.Reader, msg []byte) ([]byte, error) {
	if t == SignTypeRSA2 {
		sum := sha256.Sum256(msg)
		return s.Sign(rand, sum[:], crypto.SHA256)
	}
	return s.Sign(rand, msg, crypto.Hash(0))
}

// verify reports whether sig is pub's signature of msg. It never panics.
func verify(pub crypto.PublicKey, msg, sig []byte) bool {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N == nil || k.N.BitLen() < 2048 {
			return false
		}
		sum := sha256.Sum256(msg)
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], sig) == nil
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
			return false
		}
		return ed25519.Verify(k, msg, sig)
	}
	return false
}

// ParsePrivateKeyPEM parses a merchant's private key: PKCS#8 "PRIVATE KEY"
// (RSA or Ed25519) or PKCS#1 "RSA PRIVATE KEY".
func ParsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("parse private key: no PEM block found")
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("parse private key: PEM type %q: want PRIVATE KEY or RSA PRIVATE KEY", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("parse private key: unsupported key type %T", key)
	}
	if _, err := signType(s); err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	return s, nil
}

// MarshalPrivateKeyPEM encodes a private key as PKCS#8 "PRIVATE KEY" PEM,
// for the merchant to store (mode 0600) and never send anywhere.
func MarshalPrivateKeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// PublicKeyPEM returns the PKIX "PUBLIC KEY" PEM of key's public half: what
// the merchant registers with the gateway.
func PublicKeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, fmt.Errorf("marshal public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// parsePublicKeyPEM parses a gateway public key (PKIX "PUBLIC KEY").
func parsePublicKeyPEM(data string) (crypto.PublicKey, error) {
	block, _ := pem.Decode([]byte(data))
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("want a PEM PUBLIC KEY block")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("rsa key of %d bits", k.N.BitLen())
		}
	case ed25519.PublicKey:
	default:
		return nil, fmt.Errorf("unsupported key type %T", pub)
	}
	return pub, nil
}
