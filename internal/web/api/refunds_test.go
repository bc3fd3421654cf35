package api_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"paygate/internal/auth"
	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/id"
	"paygate/internal/merchant"
	"paygate/internal/payment/paymenttest"
	"paygate/internal/web"
	"paygate/internal/web/api"
	"paygate/sdk"
)

// refundBundle is the API over a payment service that really pays (the
// bank simulator behind it), with two merchants' clients.
type refundBundle struct {
	env  *paymenttest.Env
	d    *db.DB
	url  string
	a, b *sdk.Client // a is env.Merchant
}

func setupRefunds(t *testing.T, d *db.DB) *refundBundle {
	t.Helper()
	ctx := context.Background()
	env := paymenttest.New(t, d)
	ms := merchant.NewStore(d, id.NewGenerator(nil, nil))
	other, err := ms.Create(ctx, "other shop", "", merchant.FeePlan{RateBps: 60})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := auth.LoadOrCreateGatewayKeys(t.TempDir(), auth.ED25519, auth.KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := api.New(api.Deps{
		DB: d, Auth: auth.NewVerifier(ms.Keys, auth.NewNonceStore(d, clock.System{}), clock.System{}),
		Signer: keys, Payments: env.Service, GatewayKeys: func() any { return keys.PublicKeys() },
	})
	srv := httptest.NewServer(web.NewHandler(web.Deps{Logger: slog.New(slog.DiscardHandler), DB: d, Mount: []func(*http.ServeMux){a.Routes}}))
	t.Cleanup(srv.Close)
	rb := &refundBundle{env: env, d: d, url: srv.URL}
	for _, m := range []struct {
		id  string
		dst **sdk.Client
	}{{env.Merchant.ID, &rb.a}, {other.ID, &rb.b}} {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		pemKey, _ := auth.MarshalPublicKeyPEM(pub)
		if _, err := ms.AddKey(ctx, m.id, pemKey); err != nil {
			t.Fatal(err)
		}
		if *m.dst, err = sdk.NewClient(srv.URL, m.id, priv); err != nil {
			t.Fatal(err)
		}
	}
	return rb
}

// signedPost builds a POST of body signed by merchant A.
func (rb *refundBundle) signedPost(t *testing.T, path, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, rb.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := rb.a.SignRequest(req, []byte(body)); err != nil {
		t.Fatal(err)
	}
	req.Body = io.NopCloser(strings.NewReader(body))
	return req
}

func (rb *refundBundle) countRefunds(t *testing.T) int {
	t.Helper()
	var n int
	if err := rb.d.QueryRow(context.Background(), `SELECT count(*) FROM refunds`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRefundsAPI: a merchant refunds a paid payment to the card through the
// signed API (the first try made before the answer), reads it back and
// lists the payment's refunds; the payment shows refunded_amount; the same
// merchant_refund_no returns the same refund.
func TestRefundsAPI(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		rb := setupRefunds(t, d)
		ctx := context.Background()
		p := rb.env.Paid(t, "api-refund", 100_00)
		before := rb.env.BankBalance(t, paymenttest.CardOK)

		r, err := rb.a.CreateRefund(ctx, sdk.CreateRefundParams{PaymentID: p.ID, MerchantRefundNo: "R1", Amount: 30_00, Reason: "退货"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != sdk.RefundSucceeded || r.Amount != 30_00 || r.Currency != "CNY" || r.PaymentID != p.ID ||
			r.MerchantOrderNo != "api-refund" || r.MerchantRefundNo != "R1" || r.Reason != "退货" || r.Method != "bankcard" ||
			r.SucceededAt == nil {
			t.Fatalf("created %+v", r)
		}
		if got := rb.env.BankBalance(t, paymenttest.CardOK); got != before+30_00 {
			t.Fatalf("card balance %d, want %d", got, before+30_00)
		}
		if got, err := rb.a.GetRefund(ctx, r.ID); err != nil || got.ID != r.ID || got.Status != sdk.RefundSucceeded {
			t.Fatalf("get: %+v %v", got, err)
		}
		again, err := rb.a.CreateRefund(ctx, sdk.CreateRefundParams{PaymentID: p.ID, MerchantRefundNo: "R1", Amount: 30_00})
		if err != nil || again.ID != r.ID {
			t.Fatalf("same merchant_refund_no: %+v %v", again, err)
		}
		byOrder, err := rb.a.CreateRefund(ctx, sdk.CreateRefundParams{MerchantOrderNo: "api-refund", Amount: 20_00})
		if err != nil || byOrder.Status != sdk.RefundSucceeded || byOrder.MerchantRefundNo != byOrder.ID {
			t.Fatalf("by order no: %+v %v", byOrder, err)
		}
		list, err := rb.a.ListRefunds(ctx, p.ID)
		if err != nil || len(list) != 2 || list[0].ID != r.ID || list[1].ID != byOrder.ID {
			t.Fatalf("list: %+v %v", list, err)
		}
		pay, err := rb.a.GetPayment(ctx, p.ID)
		if err != nil || pay.RefundedAmount != 50_00 || pay.Status != sdk.StatusSucceeded {
			t.Fatalf("payment: %+v %v", pay, err)
		}
		if got := rb.env.BankBalance(t, paymenttest.CardOK); got != before+50_00 {
			t.Fatalf("card balance %d, want %d", got, before+50_00)
		}
		// Idempotency keys work as for payments.
		k := sdk.IdempotencyKey("refund-key-1")
		first, err := rb.a.CreateRefund(ctx, sdk.CreateRefundParams{PaymentID: p.ID, MerchantRefundNo: "R3", Amount: 1_00}, k)
		if err != nil {
			t.Fatal(err)
		}
		if replay, err := rb.a.CreateRefund(ctx, sdk.CreateRefundParams{PaymentID: p.ID, MerchantRefundNo: "R3", Amount: 1_00}, k); err != nil || replay.ID != first.ID {
			t.Fatalf("replay: %+v %v", replay, err)
		}
		if _, err := rb.a.CreateRefund(ctx, sdk.CreateRefundParams{PaymentID: p.ID, MerchantRefundNo: "R4", Amount: 1_00}, k); !isCode(err, 422, "idempotency_key_reused") {
			t.Fatalf("key reused: %v", err)
		}
	})
}

// TestRefundsAPIIsolationAndBadInput: another merchant's refund or
// payment is 404; bad input is a 4xx with its code and writes nothing.
func TestRefundsAPIIsolationAndBadInput(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		rb := setupRefunds(t, d)
		ctx := context.Background()
		p := rb.env.Paid(t, "isolated", 10_00)
		unpaid := rb.env.Create(t, "unpaid", 10_00, "")
		r, err := rb.a.CreateRefund(ctx, sdk.CreateRefundParams{PaymentID: p.ID, Amount: 1_00})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rb.b.GetRefund(ctx, r.ID); !isCode(err, 404, "refund_not_found") {
			t.Fatalf("B gets A's refund: %v", err)
		}
		if _, err := rb.b.ListRefunds(ctx, p.ID); !isCode(err, 404, "payment_not_found") {
			t.Fatalf("B lists A's refunds: %v", err)
		}
		if _, err := rb.a.GetRefund(ctx, "rf_nope"); !isCode(err, 404, "refund_not_found") {
			t.Fatalf("missing refund: %v", err)
		}
		n := rb.countRefunds(t)
		tests := []struct {
			name   string
			client *sdk.Client
			p      sdk.CreateRefundParams
			status int
			code   string
		}{
			{"OtherMerchantsPayment", rb.b, sdk.CreateRefundParams{PaymentID: p.ID, Amount: 1_00}, 404, "payment_not_found"},
			{"OtherMerchantsOrder", rb.b, sdk.CreateRefundParams{MerchantOrderNo: "isolated", Amount: 1_00}, 404, "payment_not_found"},
			{"ZeroAmount", rb.a, sdk.CreateRefundParams{PaymentID: p.ID}, 400, "refund_invalid"},
			{"NegativeAmount", rb.a, sdk.CreateRefundParams{PaymentID: p.ID, Amount: -1}, 400, "refund_invalid"},
			{"TooMuch", rb.a, sdk.CreateRefundParams{PaymentID: p.ID, Amount: 9_01}, 422, "refund_amount_exceeds"},
			{"NotPaid", rb.a, sdk.CreateRefundParams{PaymentID: unpaid.ID, Amount: 1}, 409, "payment_not_refundable"},
			{"RefundNoWithSpace", rb.a, sdk.CreateRefundParams{PaymentID: p.ID, MerchantRefundNo: "a b", Amount: 1}, 400, "refund_invalid"},
			{"UnknownPayment", rb.a, sdk.CreateRefundParams{PaymentID: "pay_nope", Amount: 1}, 404, "payment_not_found"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := tt.client.CreateRefund(ctx, tt.p); !isCode(err, tt.status, tt.code) {
					t.Fatalf("CreateRefund: %v, want %d %s", err, tt.status, tt.code)
				}
			})
		}
		// Bodies the SDK would not send.
		for name, body := range map[string]string{
			"UnknownField": `{"payment_id":"` + p.ID + `","amount":1,"currency":"CNY"}`,
			"NoPayment":    `{"amount":1}`,
			"NotJSON":      `amount=1`,
		} {
			req := rb.signedPost(t, "/v1/refunds", body)
			if status, code := send(t, req); status != 400 || (code != "invalid_request" && code != "refund_invalid") {
				t.Errorf("%s: %d %q", name, status, code)
			}
		}
		if got := rb.countRefunds(t); got != n {
			t.Fatalf("bad requests wrote %d refunds", got-n)
		}
		if got, err := rb.a.GetPayment(ctx, p.ID); err != nil || got.RefundedAmount != 1_00 {
			t.Fatalf("payment %+v %v", got, err)
		}
	})
}
