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
	"regexp"
	"time"

	"paygate/examples/shop"
	"paygate/internal/account"
	"paygate/internal/auth"
	"paygate/internal/channel"
	"paygate/internal/mail"
	"paygate/internal/merchant"
	"paygate/internal/money"
	"paygate/internal/staff"
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
	if err := seedStaff(ctx, g, st.MerchantID); err != nil {
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

// The demo payer: an active account with a balance, so that paying from a
// balance on the cashier works at once (README, "demo logins").
const (
	demoPayerEmail    = "buyer@paygate.test"
	demoPayerPassword = "paygate-demo-2026"
	demoPayerTopUp    = 5_000_00 // from the cmb test card, through the bank
)

var tokenInLink = regexp.MustCompile(`token=([A-Za-z0-9_\-]+)`)

// seedPayer makes sure the demo payer exists, is active and has had its
// first top-up: registered through the account service, activated with
// the link it was mailed (read back from the outbox, as the demo mailbox
// shows it), and topped up from card 6214830000000000015 over ISO 8583.
func (a *app) seedPayer(ctx context.Context, g *gateway) error {
	if _, err := g.accounts.Login(ctx, demoPayerEmail, demoPayerPassword); err == nil {
		return nil
	}
	if _, err := g.accounts.Register(ctx, demoPayerEmail, demoPayerPassword, account.Personal, ""); err != nil {
		return fmt.Errorf("demo payer: %w", err)
	}
	msgs, err := g.mail.List(ctx, mail.ListParams{To: demoPayerEmail, Limit: 1})
	if err != nil || len(msgs) == 0 {
		return fmt.Errorf("demo payer: no activation email (%v)", err)
	}
	m := tokenInLink.FindStringSubmatch(msgs[0].Text)
	if m == nil {
		return errors.New("demo payer: no link in the activation email")
	}
	acct, err := g.accounts.Activate(ctx, m[1], demoPayerPassword)
	if err != nil {
		return fmt.Errorf("demo payer: %w", err)
	}
	for _, c := range g.connectors {
		if c.Name() == "cmb" {
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err := c.WaitReady(wctx)
			cancel()
			if err != nil {
				return fmt.Errorf("demo payer: bank cmb: %w", err)
			}
		}
	}
	top, err := g.wallet.TopUpFromCard(ctx, g.card, acct.ID, channel.Card{PAN: "6214830000000000015", PIN: "888888"},
		money.New(demoPayerTopUp, money.CNY), "demo:payer:first-top-up")
	if err != nil || top.State != "succeeded" {
		return fmt.Errorf("demo payer: top-up %s: %v", top.State, err)
	}
	return nil
}

// The demo tea shop's portal log-ins, one per role (README, "demo
// logins").
var demoStaff = []struct {
	email string
	role  staff.Role
}{
	{"admin@teashop.test", staff.Admin},
	{"finance@teashop.test", staff.Finance},
	{"viewer@teashop.test", staff.Viewer},
}

// demoStaffPassword is the password of every demo portal log-in.
const demoStaffPassword = "paygate-demo-2026"

// seedStaff makes sure the demo merchant's portal log-ins exist; those
// that do are left as they are.
func seedStaff(ctx context.Context, g *gateway, merchantID string) error {
	for _, s := range demoStaff {
		_, err := g.staff.Create(ctx, merchantID, s.email, demoStaffPassword, s.role)
		if err != nil && !errors.Is(err, staff.ErrEmailTaken) {
			return fmt.Errorf("demo staff %s: %w", s.email, err)
		}
	}
	return nil
}
