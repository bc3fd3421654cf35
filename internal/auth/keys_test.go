package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
)

func TestParsePublicKeyPEM(t *testing.T) {
	t.Parallel()
	k := testKeys()
	pkix := func(pub any) []byte {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	privDER, _ := x509.MarshalPKCS8PrivateKey(k.ed)
	tests := []struct {
		name    string
		pem     []byte
		want    SignType
		wantErr string
	}{
		{"RSAPKIX", pkix(&k.rsa.PublicKey), RSA2, ""},
		{"RSAPKCS1", pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)}), RSA2, ""},
		{"Ed25519PKIX", pkix(k.ed.Public()), ED25519, ""},
		{"RSA1024", pkix(&k.rsaShort.PublicKey), "", "1024-bit key: rsa key shorter than 2048 bits"},
		{"RSA1024PKCS1", pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.rsaShort.PublicKey)}), "", "shorter than 2048"},
		{"ECDSA", pkix(&ec.PublicKey), "", "unsupported key type"},
		{"PrivateKey", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), "", "register only the public key"},
		{"Garbage", []byte("not pem"), "", "no PEM block"},
		{"BadDER", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}}), "", "parse public key"},
		{"TwoBlocks", append(pkix(k.ed.Public()), pkix(k.ed2.Public())...), "", "more than one"},
		{"Certificate", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}), "", "want PUBLIC KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pub, typ, err := ParsePublicKeyPEM(tt.pem)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || typ != tt.want || pub == nil {
				t.Fatalf("= %T, %s, %v; want %s", pub, typ, err, tt.want)
			}
			mk, err := ParseMerchantKey("", tt.pem)
			if err != nil || mk.Type != tt.want || len(mk.ID) != 16 {
				t.Fatalf("ParseMerchantKey = %+v, %v", mk, err)
			}
		})
	}
	if _, _, err := ParsePublicKeyPEM(pkix(&k.rsaShort.PublicKey)); !errors.Is(err, ErrWeakKey) {
		t.Fatalf("weak key error %v is not ErrWeakKey", err)
	}
}

func TestKeyIDStable(t *testing.T) {
	t.Parallel()
	k := testKeys()
	a, _ := KeyID(k.ed.Public())
	b, _ := KeyID(k.ed.Public())
	c, _ := KeyID(k.ed2.Public())
	if a != b || a == c || len(a) != 16 {
		t.Fatalf("key ids %s %s %s", a, b, c)
	}
}
