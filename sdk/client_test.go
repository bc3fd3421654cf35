package sdk_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"paygate/sdk"
)

var rsaKeys = sync.OnceValue(func() [2]*rsa.PrivateKey {
	var ks [2]*rsa.PrivateKey
	for i, bits := range []int{2048, 1024} {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			panic(err)
		}
		ks[i] = k
	}
	return ks
})

type testBundle struct {
	gw     *fakeGateway
	client *sdk.Client
	now    time.Time
}

func setup(t *testing.T, key crypto.Signer, opts ...sdk.Option) *testBundle {
	t.Helper()
	now := time.Now()
	gw := newFakeGateway("mch_test", key.Public(), time.Now)
	t.Cleanup(gw.Close)
	c, err := sdk.NewClient(gw.URL, "mch_test", key, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return &testBundle{gw: gw, client: c, now: now}
}

func TestPaymentsRoundTrip(t *testing.T) {
	t.Parallel()
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	for name, key := range map[string]crypto.Signer{"ED25519": ed, "RSA2": rsaKeys()[0]} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, key)
			ctx := context.Background()
			p, err := b.client.CreatePayment(ctx, sdk.CreatePaymentParams{MerchantOrderNo: "A 1/2?", Amount: 10000,
				Currency: "CNY", Subject: "Tea", ExpiresIn: 900}, sdk.IdempotencyKey("order-A1"))
			if err != nil {
				t.Fatal(err)
			}
			if p.ID == "" || p.CashierURL == "" || p.Amount != 10000 || p.Status != sdk.StatusCreated {
				t.Fatalf("created %+v", p)
			}
			got, err := b.client.GetPayment(ctx, p.ID)
			if err != nil || got.ID != p.ID || !got.ExpiresAt.Equal(p.ExpiresAt) {
				t.Fatalf("GetPayment = %+v, %v", got, err)
			}
			found, err := b.client.FindPayment(ctx, "A 1/2?")
			if err != nil || found.ID != p.ID {
				t.Fatalf("FindPayment = %+v, %v", found, err)
			}
			if _, err := b.client.CreatePayment(ctx, sdk.CreatePaymentParams{MerchantOrderNo: "B", Amount: 1, Currency: "CNY"}); err != nil {
				t.Fatal(err)
			}
			page, err := b.client.ListPayments(ctx, sdk.ListPaymentsParams{Limit: 1, Status: sdk.StatusCreated, CreatedFrom: b.now.Add(-time.Hour)})
			if err != nil || len(page.Data) != 1 || page.NextCursor == "" {
				t.Fatalf("ListPayments = %+v, %v", page, err)
			}
			page, err = b.client.ListPayments(ctx, sdk.ListPaymentsParams{Limit: 1, Cursor: page.NextCursor})
			if err != nil || len(page.Data) != 1 || page.Data[0].MerchantOrderNo != "B" {
				t.Fatalf("second page = %+v, %v", page, err)
			}
			closed, err := b.client.ClosePayment(ctx, p.ID)
			if err != nil || closed.Status != sdk.StatusClosed {
				t.Fatalf("ClosePayment = %+v, %v", closed, err)
			}
		})
	}
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	b := setup(t, ed)
	ctx := context.Background()
	tests := []struct {
		name   string
		call   func() error
		status int
		code   string
	}{
		{"NotFound", func() error { _, err := b.client.GetPayment(ctx, "pay_nope"); return err }, 404, "payment_not_found"},
		{"FindNotFound", func() error { _, err := b.client.FindPayment(ctx, "nope"); return err }, 404, "payment_not_found"},
		{"Invalid", func() error {
			_, err := b.client.CreatePayment(ctx, sdk.CreatePaymentParams{MerchantOrderNo: "x", Amount: -1})
			return err
		}, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var ae *sdk.APIError
			if err := tt.call(); !errors.As(err, &ae) || ae.Status != tt.status || ae.Code != tt.code {
				t.Fatalf("err = %v, want %d %s", err, tt.status, tt.code)
			}
		})
	}
	// A client whose key the gateway does not know gets a verified 401.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	c, _ := sdk.NewClient(b.gw.URL, "mch_test", other)
	var ae *sdk.APIError
	if _, err := c.GetPayment(ctx, "pay_0001"); !errors.As(err, &ae) || ae.Status != 401 || ae.RequestID != "req_test" {
		t.Fatalf("unregistered key: %v", err)
	}
}

func TestResponseVerification(t *testing.T) {
	t.Parallel()
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	ctx := context.Background()
	create := func(c *sdk.Client) error {
		_, err := c.CreatePayment(ctx, sdk.CreatePaymentParams{MerchantOrderNo: "A", Amount: 10000, Currency: "CNY"})
		return err
	}
	t.Run("TamperedBody", func(t *testing.T) {
		t.Parallel()
		b := setup(t, ed)
		b.gw.tamper = true
		var se *sdk.SignatureError
		if err := create(b.client); !errors.Is(err, sdk.ErrSignature) || !errors.As(err, &se) || se.Status != 201 {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ClockSkew", func(t *testing.T) {
		t.Parallel()
		// The client's clock is 10 minutes ahead: the gateway refuses the
		// request, and the (signed) refusal's timestamp is out of the
		// client's window too.
		b := setup(t, ed, sdk.WithClock(func() time.Time { return time.Now().Add(10 * time.Minute) }))
		if err := create(b.client); !errors.Is(err, sdk.ErrSignature) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("PinnedKeysOnly", func(t *testing.T) {
		t.Parallel()
		b := setup(t, ed)
		c, err := sdk.NewClient(b.gw.URL, "mch_test", ed, sdk.WithGatewayKeys(b.gw.publicKeys()...))
		if err != nil {
			t.Fatal(err)
		}
		if err := create(c); err != nil {
			t.Fatal(err)
		}
		b.gw.rotate()
		if err := create(c); !errors.Is(err, sdk.ErrSignature) {
			t.Fatalf("response by an unpinned key: %v", err)
		}
		if b.gw.keyFetch != 0 {
			t.Fatalf("pinned client fetched keys %d times", b.gw.keyFetch)
		}
	})
	t.Run("RotationRefetches", func(t *testing.T) {
		t.Parallel()
		now := time.Now()
		var mu sync.Mutex
		clk := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		gw := newFakeGateway("mch_test", ed.Public(), clk)
		t.Cleanup(gw.Close)
		c, _ := sdk.NewClient(gw.URL, "mch_test", ed, sdk.WithClock(clk))
		if err := create(c); err != nil {
			t.Fatal(err)
		}
		gw.rotate()
		advance(time.Second)
		if err := create(c); !errors.Is(err, sdk.ErrSignature) {
			t.Fatalf("refetch within 30 s: %v", err)
		}
		advance(31 * time.Second)
		if err := create(c); err != nil {
			t.Fatalf("after rotation: %v", err)
		}
		if gw.keyFetch != 2 {
			t.Fatalf("fetched keys %d times, want 2", gw.keyFetch)
		}
	})
}

func TestVerifyNotification(t *testing.T) {
	t.Parallel()
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	b := setup(t, ed)
	event := sdk.Event{ID: "evt_1", Type: sdk.EventPaymentSucceeded, CreatedAt: time.Now().UTC().Truncate(time.Second),
		Data: []byte(`{"id":"pay_1","merchant_order_no":"A","amount":100,"currency":"CNY","status":"succeeded"}`)}
	tests := []struct {
		name   string
		mangle func(r *http.Request)
		ok     bool
	}{
		{"Valid", func(r *http.Request) {}, true},
		{"NoSignature", func(r *http.Request) { r.Header.Del(sdk.HeaderSignature) }, false},
		{"WrongKeyID", func(r *http.Request) { r.Header.Set(sdk.HeaderKeyID, "ffffffffffffffff") }, false},
		{"Stale", func(r *http.Request) {
			r.Header.Set(sdk.HeaderTimestamp, "1000000000")
		}, false},
		{"TamperedBody", func(r *http.Request) {
			r.Body = http.NoBody
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := b.gw.notification("/notify", event)
			tt.mangle(r)
			e, err := b.client.VerifyNotification(r)
			if !tt.ok {
				if !errors.Is(err, sdk.ErrSignature) {
					t.Fatalf("err = %v, want ErrSignature", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p, err := e.Payment()
			if err != nil || e.ID != "evt_1" || !e.CreatedAt.Equal(event.CreatedAt) || p.Status != sdk.StatusSucceeded || p.Amount != 100 {
				t.Fatalf("event %+v, payment %+v, %v", e, p, err)
			}
		})
	}
}

func TestVerifyReturn(t *testing.T) {
	t.Parallel()
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	b := setup(t, ed)
	ctx := context.Background()
	signed := b.gw.signReturn(url.Values{"payment_id": {"pay_1"}, "merchant_order_no": {"A&1"}, "status": {"succeeded"}, "order": {"7"}})
	u, _ := url.Parse("https://shop.example/return?" + signed.Encode())
	ret, err := b.client.VerifyReturn(ctx, u.Query())
	if err != nil || ret.PaymentID != "pay_1" || ret.MerchantOrderNo != "A&1" || ret.Status != "succeeded" || ret.Params.Get("order") != "7" {
		t.Fatalf("VerifyReturn = %+v, %v", ret, err)
	}
	for name, tamper := range map[string]func(v url.Values){
		"Status":   func(v url.Values) { v.Set("status", "closed") },
		"Added":    func(v url.Values) { v.Set("paid", "1") },
		"Repeated": func(v url.Values) { v.Add("status", "succeeded") },
		"NoSign":   func(v url.Values) { v.Del("sign") },
		"NoNonce":  func(v url.Values) { v.Del("nonce") },
	} {
		v := u.Query()
		tamper(v)
		if _, err := b.client.VerifyReturn(ctx, v); !errors.Is(err, sdk.ErrSignature) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestNewClient(t *testing.T) {
	t.Parallel()
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		name, base, merchant string
		key                  crypto.Signer
		opts                 []sdk.Option
		want                 string
	}{
		{"OK", "https://pay.example/", "mch_1", ed, nil, ""},
		{"ShortRSA", "https://pay.example", "mch_1", rsaKeys()[1], nil, "at least 2048"},
		{"NoScheme", "pay.example", "mch_1", ed, nil, "want http(s)"},
		{"NoMerchant", "https://pay.example", "", ed, nil, "merchant id"},
		{"NoKey", "https://pay.example", "mch_1", nil, nil, "no signing key"},
		{"BadPinnedKey", "https://pay.example", "mch_1", ed, []sdk.Option{sdk.WithGatewayKeys(sdk.GatewayKey{KeyID: "k", PublicKeyPEM: "x"})}, "PUBLIC KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := sdk.NewClient(tt.base, tt.merchant, tt.key, tt.opts...)
			if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestPrivateKeyPEM(t *testing.T) {
	t.Parallel()
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	for _, key := range []crypto.Signer{ed, rsaKeys()[0]} {
		p, err := sdk.MarshalPrivateKeyPEM(key)
		if err != nil {
			t.Fatal(err)
		}
		back, err := sdk.ParsePrivateKeyPEM(p)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := sdk.PublicKeyPEM(key)
		bb, _ := sdk.PublicKeyPEM(back)
		if string(a) != string(bb) || !strings.Contains(string(a), "PUBLIC KEY") {
			t.Fatalf("round trip changed the key")
		}
	}
	short, _ := sdk.MarshalPrivateKeyPEM(rsaKeys()[1])
	if _, err := sdk.ParsePrivateKeyPEM(short); err == nil {
		t.Fatal("1024-bit key accepted")
	}
}

func TestClientNeverPrintsKey(t *testing.T) {
	t.Parallel()
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	c, err := sdk.NewClient("https://pay.example", "mch_1", ed)
	if err != nil {
		t.Fatal(err)
	}
	secret := fmt.Sprint([]byte(ed))
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("client", "c", c)
	for _, s := range []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), buf.String()} {
		if strings.Contains(s, secret[1:20]) || !strings.Contains(s, "mch_1") {
			t.Fatalf("printed %q", s)
		}
	}
}
