package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"paygate/internal/auth"
	"paygate/internal/channel"
	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/id"
	"paygate/internal/ledger"
	"paygate/internal/merchant"
	"paygate/internal/payment"
	"paygate/internal/web"
	"paygate/internal/web/api"
	"paygate/sdk"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// noChannel stands in for the bank-card channel: the API never pays.
type noChannel struct{}

func (noChannel) Method() string { return "bankcard" }
func (noChannel) Charge(context.Context, channel.Charge) (channel.Result, error) {
	return channel.Result{}, errors.New("not used by the API")
}

type testBundle struct {
	d      *db.DB
	srv    *httptest.Server
	keys   *auth.GatewayKeys
	a, b   merchant.Merchant
	aKey   ed25519.PrivateKey
	bKey   ed25519.PrivateKey
	client *sdk.Client // merchant A
}

func setup(t *testing.T, d *db.DB) *testBundle {
	t.Helper()
	ctx := context.Background()
	tb := &testBundle{d: d}
	ids := id.NewGenerator(nil, nil)
	ms := merchant.NewStore(d, ids)
	var err error
	for _, m := range []struct {
		dst *merchant.Merchant
		key *ed25519.PrivateKey
	}{{&tb.a, &tb.aKey}, {&tb.b, &tb.bKey}} {
		if *m.dst, err = ms.Create(ctx, "shop", "", merchant.FeePlan{RateBps: 60}); err != nil {
			t.Fatal(err)
		}
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		*m.key = priv
		pemKey, _ := auth.MarshalPublicKeyPEM(pub)
		if _, err := ms.AddKey(ctx, m.dst.ID, pemKey); err != nil {
			t.Fatal(err)
		}
	}
	if tb.keys, err = auth.LoadOrCreateGatewayKeys(t.TempDir(), auth.ED25519, auth.KeyOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := payment.NewService(d, ledger.New(d, ids), ms, []channel.Channel{noChannel{}}, payment.Options{IDs: ids})
	a := api.New(api.Deps{
		DB: d, Auth: auth.NewVerifier(ms.Keys, auth.NewNonceStore(d, clock.System{}), clock.System{}),
		Signer: tb.keys, Payments: svc, GatewayKeys: func() any { return tb.keys.PublicKeys() },
		CashierURL: func(id string) string { return "http://cashier.test/pay/" + id },
	})
	tb.srv = httptest.NewServer(web.NewHandler(web.Deps{Logger: slog.New(slog.DiscardHandler), DB: d, Mount: []func(*http.ServeMux){a.Routes}}))
	t.Cleanup(tb.srv.Close)
	tb.client = tb.newClient(t, tb.a.ID, tb.aKey)
	return tb
}

func (tb *testBundle) newClient(t *testing.T, merchantID string, key ed25519.PrivateKey, opts ...sdk.Option) *sdk.Client {
	t.Helper()
	c, err := sdk.NewClient(tb.srv.URL, merchantID, key, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (tb *testBundle) countPayments(t *testing.T) int {
	t.Helper()
	var n int
	if err := tb.d.QueryRow(context.Background(), `SELECT count(*) FROM payments`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func params(orderNo string) sdk.CreatePaymentParams {
	return sdk.CreatePaymentParams{MerchantOrderNo: orderNo, Amount: 12_34, Currency: "CNY", Subject: "咖啡 coffee",
		ReturnURL: "https://shop.example/return", NotifyURL: "https://shop.example/notify"}
}

func apiCode(err error) (int, string) {
	var ae *sdk.APIError
	if errors.As(err, &ae) {
		return ae.Status, ae.Code
	}
	return 0, fmt.Sprint(err)
}

func TestPaymentsLifecycle(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		tb := setup(t, d)
		ctx := context.Background()
		p, err := tb.client.CreatePayment(ctx, params("order-1"))
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != "created" || p.Amount != 12_34 || p.CashierURL != "http://cashier.test/pay/"+p.ID {
			t.Fatalf("created %+v", p)
		}
		if got, err := tb.client.GetPayment(ctx, p.ID); err != nil || got.ID != p.ID {
			t.Fatalf("get: %+v %v", got, err)
		}
		if got, err := tb.client.FindPayment(ctx, "order-1"); err != nil || got.ID != p.ID {
			t.Fatalf("find: %+v %v", got, err)
		}
		if _, err := tb.client.CreatePayment(ctx, params("order-1")); !isCode(err, 409, "merchant_order_no_exists") {
			t.Fatalf("duplicate order: %v", err)
		}
		page, err := tb.client.ListPayments(ctx, sdk.ListPaymentsParams{Status: "created", Limit: 10})
		if err != nil || len(page.Data) != 1 {
			t.Fatalf("list: %+v %v", page, err)
		}
		closed, err := tb.client.ClosePayment(ctx, p.ID)
		if err != nil || closed.Status != "closed" {
			t.Fatalf("close: %+v %v", closed, err)
		}
		for _, bad := range []sdk.CreatePaymentParams{
			{MerchantOrderNo: "x", Amount: -1, Currency: "CNY", Subject: "s"},
			{MerchantOrderNo: "x", Amount: 100, Currency: "RMB", Subject: "s"},
			{MerchantOrderNo: "", Amount: 100, Currency: "CNY", Subject: "s"},
		} {
			if _, err := tb.client.CreatePayment(ctx, bad); !isCode(err, 400, "payment_invalid") {
				t.Errorf("create %+v: %v", bad, err)
			}
		}
	})
}

func isCode(err error, status int, code string) bool {
	s, c := apiCode(err)
	return s == status && c == code
}

// TestMerchantIsolation: merchant B cannot see, find or close A's payment.
func TestMerchantIsolation(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		tb := setup(t, d)
		ctx := context.Background()
		p, err := tb.client.CreatePayment(ctx, params("secret-order"))
		if err != nil {
			t.Fatal(err)
		}
		b := tb.newClient(t, tb.b.ID, tb.bKey)
		if _, err := b.GetPayment(ctx, p.ID); !isCode(err, 404, "payment_not_found") {
			t.Fatalf("B gets A's payment: %v", err)
		}
		if _, err := b.ClosePayment(ctx, p.ID); !isCode(err, 404, "payment_not_found") {
			t.Fatalf("B closes A's payment: %v", err)
		}
		if _, err := b.FindPayment(ctx, "secret-order"); !isCode(err, 404, "payment_not_found") {
			t.Fatalf("B finds A's payment: %v", err)
		}
		if page, err := b.ListPayments(ctx, sdk.ListPaymentsParams{}); err != nil || len(page.Data) != 0 {
			t.Fatalf("B lists %v %v", page, err)
		}
		if got, _ := tb.client.GetPayment(ctx, p.ID); got.Status != "created" {
			t.Fatalf("A's payment is now %s", got.Status)
		}
	})
}

// signedRequest builds a request signed by merchant A with the sdk.
func (tb *testBundle) signedRequest(t *testing.T, c *sdk.Client, method, path string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, tb.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SignRequest(req, body); err != nil {
		t.Fatal(err)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	return req
}

func send(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &e)
	return resp.StatusCode, e.Error.Code
}

// TestBadSignaturesChangeNothing: replayed nonce, tampered body, stale
// timestamp, unknown key → 401 and no payment.
func TestBadSignaturesChangeNothing(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		tb := setup(t, d)
		body, _ := json.Marshal(map[string]any{"merchant_order_no": "sig-1", "amount": 100, "currency": "CNY", "subject": "s"})

		req := tb.signedRequest(t, tb.client, "POST", "/v1/payments", body)
		replay := req.Clone(context.Background())
		replay.Body = io.NopCloser(bytes.NewReader(body))
		if status, _ := send(t, req); status != 201 {
			t.Fatalf("first request: %d", status)
		}
		n := tb.countPayments(t)

		tampered := tb.signedRequest(t, tb.client, "POST", "/v1/payments", body)
		evil := bytes.Replace(body, []byte(`"amount":100`), []byte(`"amount":1`), 1)
		tampered.Body, tampered.ContentLength = io.NopCloser(bytes.NewReader(evil)), int64(len(evil))

		stale := tb.signedRequest(t, tb.newClient(t, tb.a.ID, tb.aKey, sdk.WithClock(func() time.Time { return time.Now().Add(-10 * time.Minute) })),
			"POST", "/v1/payments", body)
		_, strangerKey, _ := ed25519.GenerateKey(rand.Reader)
		unknownKey := tb.signedRequest(t, tb.newClient(t, tb.a.ID, strangerKey), "POST", "/v1/payments", body)
		unknownMerchant := tb.signedRequest(t, tb.newClient(t, "mch_nobody", tb.aKey), "POST", "/v1/payments", body)
		unsigned, _ := http.NewRequest("POST", tb.srv.URL+"/v1/payments", bytes.NewReader(body))

		for name, r := range map[string]*http.Request{"Replay": replay, "TamperedBody": tampered, "StaleTimestamp": stale,
			"UnknownKey": unknownKey, "UnknownMerchant": unknownMerchant, "Unsigned": unsigned} {
			if status, code := send(t, r); status != 401 || code == "" {
				t.Errorf("%s: %d %q, want 401 with a code", name, status, code)
			}
		}
		if got := tb.countPayments(t); got != n {
			t.Fatalf("payments %d, want %d", got, n)
		}
	})
}

// TestIdempotency: the same key and body replay the first response; another
// body is 422; 50 concurrent identical creates make one payment.
func TestIdempotency(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		tb := setup(t, d)
		ctx := context.Background()
		first, err := tb.client.CreatePayment(ctx, params("idem-1"), sdk.IdempotencyKey("key-1"))
		if err != nil {
			t.Fatal(err)
		}
		again, err := tb.client.CreatePayment(ctx, params("idem-1"), sdk.IdempotencyKey("key-1"))
		if err != nil || again.ID != first.ID {
			t.Fatalf("replay: %+v %v", again, err)
		}
		other := params("idem-2")
		if _, err := tb.client.CreatePayment(ctx, other, sdk.IdempotencyKey("key-1")); !isCode(err, 422, "idempotency_key_reused") {
			t.Fatalf("other body: %v", err)
		}

		var wg sync.WaitGroup
		ids := make(chan string, 50)
		for range 50 {
			wg.Go(func() {
				p, err := tb.client.CreatePayment(ctx, params("idem-burst"), sdk.IdempotencyKey("burst"))
				switch {
				case err == nil:
					ids <- p.ID
				case isCode(err, 409, "idempotency_in_flight"):
				default:
					t.Errorf("burst: %v", err)
				}
			})
		}
		wg.Wait()
		close(ids)
		seen := map[string]bool{}
		for id := range ids {
			seen[id] = true
		}
		var n int
		d.QueryRow(ctx, `SELECT count(*) FROM payments WHERE merchant_order_no = 'idem-burst'`).Scan(&n)
		if n != 1 || len(seen) > 1 {
			t.Fatalf("%d payments, ids %v; want one", n, seen)
		}
	})
}
