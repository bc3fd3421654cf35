package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"paygate/examples/shop"
	"paygate/internal/auth"
	"paygate/internal/merchant"
	"paygate/sdk"
)

// demoShop is the demo merchant's identity, kept in DATA_DIR/shop so that
// the demo finds its merchant and key again on the next run.
type demoShop struct {
	MerchantID string `json:"merchant_id"`
}

// seedShop makes sure the demo merchant exists with its API key, then starts
// the demo shop on addr, paying through the gateway at gatewayURL. It
// returns the shop's URL and a function that stops it.
func (a *app) seedShop(ctx context.Context, g *gateway, gatewayURL, addr string) (string, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, usageError("demo shop: listen on %s: %w", addr, err)
	}
	shopURL := "http://" + ln.Addr().String()
	dir := filepath.Join(a.cfg.DataDir, "shop")
	key, err := loadOrCreateEd25519(filepath.Join(dir, "merchant-key.pem"))
	if err != nil {
		ln.Close()
		return "", nil, err
	}
	var st demoShop
	stateFile := filepath.Join(dir, "merchant.json")
	if b, err := os.ReadFile(stateFile); err == nil {
		json.Unmarshal(b, &st)
	}
	if _, err := g.merchants.Get(ctx, st.MerchantID); err != nil {
		m, err := g.merchants.Create(ctx, "茶铺 Tea Shop", shopURL+"/notify", merchant.FeePlan{RateBps: 60, MinMinor: 1})
		if err != nil {
			ln.Close()
			return "", nil, err
		}
		st.MerchantID = m.ID
		b, _ := json.Marshal(st)
		if err := os.WriteFile(stateFile, b, 0o600); err != nil {
			ln.Close()
			return "", nil, err
		}
	}
	pub, _ := auth.MarshalPublicKeyPEM(key.Public())
	if _, err := g.merchants.AddKey(ctx, st.MerchantID, pub); err != nil && !errors.Is(err, merchant.ErrKeyExists) {
		ln.Close()
		return "", nil, err
	}
	client, err := sdk.NewClient(gatewayURL, st.MerchantID, key)
	if err != nil {
		ln.Close()
		return "", nil, err
	}
	srv := &http.Server{Handler: shop.New(client, shopURL, a.log), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return shopURL, func() { srv.Close() }, nil
}

// loadOrCreateEd25519 reads a PKCS#8 Ed25519 private key, creating it (mode
// 0600) on first use.
func loadOrCreateEd25519(path string) (ed25519.PrivateKey, error) {
	if b, err := os.ReadFile(path); err == nil {
		block, _ := pem.Decode(b)
		if block == nil {
			return nil, fmt.Errorf("%s: no PEM block", path)
		}
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		priv, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%s: not an Ed25519 key", path)
		}
		return priv, nil
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	return priv, nil
}
