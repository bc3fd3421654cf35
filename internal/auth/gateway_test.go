package auth

import (
	"crypto/rand"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"paygate/internal/clock"
)

func TestGatewayKeysCreateAndReload(t *testing.T) {
	t.Parallel()
	for _, alg := range []SignType{ED25519, RSA2} {
		t.Run(string(alg), func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "keys")
			opts := KeyOptions{Clock: clock.NewFake(testStart)}
			g, err := LoadOrCreateGatewayKeys(dir, alg, opts)
			if err != nil {
				t.Fatal(err)
			}
			pubs := g.PublicKeys()
			if len(pubs) != 1 || pubs[0].Alg != alg || len(pubs[0].KeyID) != 16 || pubs[0].KeyID != g.ActiveKeyID() {
				t.Fatalf("public keys = %+v", pubs)
			}
			fi, err := os.Stat(filepath.Join(dir, "gateway-"+pubs[0].KeyID+".pem"))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Fatalf("key file mode %#o, want 0600", fi.Mode().Perm())
			}
			if di, _ := os.Stat(dir); di.Mode().Perm() != 0o700 {
				t.Fatalf("key dir mode %#o, want 0700", di.Mode().Perm())
			}
			// A second instance sharing the directory agrees, and creates nothing.
			g2, err := LoadOrCreateGatewayKeys(dir, ED25519, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := g2.PublicKeys(); len(got) != 1 || got[0] != pubs[0] {
				t.Fatalf("second instance sees %+v, want %+v", got, pubs)
			}
			body := []byte(`{"id":"pay_1"}`)
			h, err := g.Sign(body)
			if err != nil {
				t.Fatal(err)
			}
			if h.Get(HeaderKeyID) != pubs[0].KeyID || h.Get(HeaderTimestamp) != "1772352000" || !validToken(h.Get(HeaderNonce), minNonce, maxNonce) {
				t.Fatalf("headers %v", h)
			}
			if err := g2.Verify(h, body); err != nil {
				t.Fatalf("other instance verifies: %v", err)
			}
			if err := g2.Verify(h, []byte(`{"id":"pay_2"}`)); !errors.Is(err, ErrSignatureInvalid) {
				t.Fatalf("tampered body: %v", err)
			}
			h.Set(HeaderTimestamp, "1772352001")
			if err := g2.Verify(h, body); !errors.Is(err, ErrSignatureInvalid) {
				t.Fatalf("tampered timestamp: %v", err)
			}
		})
	}
}

func TestGatewayKeyRotation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clk := clock.NewFake(testStart)
	opts := KeyOptions{Clock: clk}
	g, err := LoadOrCreateGatewayKeys(dir, ED25519, opts)
	if err != nil {
		t.Fatal(err)
	}
	oldID := g.ActiveKeyID()
	body := []byte(`{"type":"payment.succeeded"}`)
	oldSig, err := g.Sign(body)
	if err != nil {
		t.Fatal(err)
	}

	// A new RSA key, active in ten minutes so every instance publishes it first.
	clk.Advance(time.Hour)
	delayed := opts
	delayed.ActivateAfter = 10 * time.Minute
	info, err := Rotate(dir, RSA2, delayed)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := g.PublicKeys(); len(got) != 2 || got[0].KeyID != oldID || got[1].KeyID != info.KeyID || got[1].Alg != RSA2 {
		t.Fatalf("published %+v", got)
	}
	steps := []struct {
		name    string
		advance time.Duration
		want    string
	}{
		{"BeforeActivation", 0, oldID},
		{"AtActivation", 10 * time.Minute, info.KeyID},
		{"Later", 24 * time.Hour, info.KeyID},
	}
	for _, st := range steps {
		clk.Advance(st.advance)
		h, err := g.Sign(body)
		if err != nil {
			t.Fatal(err)
		}
		if h.Get(HeaderKeyID) != st.want {
			t.Fatalf("%s: signed by %s, want %s", st.name, h.Get(HeaderKeyID), st.want)
		}
		if err := g.Verify(h, body); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	// The old key's signatures still verify, on a fresh instance too.
	g2, err := LoadGatewayKeys(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := g2.Verify(oldSig, body); err != nil {
		t.Fatalf("old key's signature after rotation: %v", err)
	}
	if g2.ActiveKeyID() != info.KeyID {
		t.Fatalf("fresh instance signs with %s, want %s", g2.ActiveKeyID(), info.KeyID)
	}
	// Retiring the old key is removing its file.
	if err := os.Remove(filepath.Join(dir, "gateway-"+oldID+".pem")); err != nil {
		t.Fatal(err)
	}
	if err := g2.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := g2.Verify(oldSig, body); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("retired key: %v", err)
	}
}

func TestGatewayKeyFilesRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		corrupt func(t *testing.T, path, dir string)
		want    string
	}{
		{"ReadableByOthers", func(t *testing.T, path, _ string) { os.Chmod(path, 0o644) }, "chmod 600"},
		{"Renamed", func(t *testing.T, path, dir string) {
			os.Rename(path, filepath.Join(dir, "gateway-0000000000000000.pem"))
		}, "rename it"},
		{"NotAKey", func(t *testing.T, path, _ string) { os.WriteFile(path, []byte("hello"), 0o600) }, "PRIVATE KEY"},
		{"NoKeys", func(t *testing.T, path, _ string) { os.Remove(path) }, "no gateway keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			g, err := LoadOrCreateGatewayKeys(dir, ED25519, KeyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			tt.corrupt(t, filepath.Join(dir, "gateway-"+g.ActiveKeyID()+".pem"), dir)
			_, err = LoadGatewayKeys(dir, KeyOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	if _, err := LoadOrCreateGatewayKeys(t.TempDir(), "DSA", KeyOptions{}); err == nil {
		t.Fatal("unsupported algorithm accepted")
	}
}

func TestSignReturn(t *testing.T) {
	t.Parallel()
	g, err := LoadOrCreateGatewayKeys(t.TempDir(), ED25519, KeyOptions{Clock: clock.NewFake(testStart), Rand: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	params := url.Values{"payment_id": {"pay_1"}, "merchant_order_no": {"A 1&b=2"}, "status": {"succeeded"}, "shop_ref": {"x"}}
	signed, err := g.SignReturn(params)
	if err != nil {
		t.Fatal(err)
	}
	if len(params) != 4 {
		t.Fatal("SignReturn changed its input")
	}
	for _, p := range []string{ParamTimestamp, ParamNonce, ParamKeyID, ParamSign} {
		if signed.Get(p) == "" {
			t.Fatalf("%s missing in %v", p, signed)
		}
	}
	// Through a real URL and back.
	u, _ := url.Parse("https://shop.example/return?" + signed.Encode())
	if err := g.VerifyReturn(u.Query()); err != nil {
		t.Fatal(err)
	}
	for _, tamper := range []func(v url.Values){
		func(v url.Values) { v.Set("status", "closed") },
		func(v url.Values) { v.Set("extra", "1") },
		func(v url.Values) { v.Del("shop_ref") },
		func(v url.Values) { v.Add("status", "succeeded") },
	} {
		v := u.Query()
		tamper(v)
		if err := g.VerifyReturn(v); err == nil {
			t.Fatalf("tampered %v verifies", v)
		}
	}
}

func TestCanonical(t *testing.T) {
	t.Parallel()
	if got := string(CanonicalRequest("POST", "/v1/payments?x=1", "1700000000", "nonce", []byte("{}"))); got != "POST\n/v1/payments?x=1\n1700000000\nnonce\n{}\n" {
		t.Fatalf("request: %q", got)
	}
	if got := string(CanonicalResponse("1700000000", "nonce", nil)); got != "1700000000\nnonce\n\n" {
		t.Fatalf("response: %q", got)
	}
	got, err := CanonicalReturn(url.Values{"status": {"succeeded"}, "sign": {"zzz"}, "a b": {"x&y=z~é"}, "b": {""}})
	if want := "a+b=x%26y%3Dz~%C3%A9&b=&status=succeeded"; err != nil || got != want {
		t.Fatalf("return: %q, %v; want %q", got, err, want)
	}
}
