package sdk_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"paygate/sdk"
)

// The merchant creates a payment and sends the payer to its cashier_url.
func ExampleClient_CreatePayment() {
	// The merchant's key pair; the public half is registered with the
	// gateway (paygate merchant add-key). Load yours with ParsePrivateKeyPEM.
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	gw := newFakeGateway("mch_01JEXAMPLE", key.Public(), time.Now) // stands in for https://pay.example.com
	defer gw.Close()

	client, err := sdk.NewClient(gw.URL, "mch_01JEXAMPLE", key)
	if err != nil {
		log.Fatal(err)
	}
	p, err := client.CreatePayment(context.Background(), sdk.CreatePaymentParams{
		MerchantOrderNo: "ORDER-1001",
		Amount:          12345, // 123.45 CNY, in fen
		Currency:        "CNY",
		Subject:         "Green tea, 500 g",
		NotifyURL:       "https://shop.example/paygate/notify",
		ReturnURL:       "https://shop.example/orders/1001",
		ExpiresIn:       900,
	}, sdk.IdempotencyKey("ORDER-1001"))
	if err != nil {
		log.Fatal(err) // an *sdk.APIError carries status, code and request id
	}
	fmt.Println(p.Status, p.Amount, p.Currency, p.CashierURL != "")
	// Output: created 12345 CNY true
}

// The merchant's notify handler verifies the gateway's signature before it
// believes anything, applies the event idempotently, then answers 2xx.
func ExampleClient_VerifyNotification() {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	gw := newFakeGateway("mch_01JEXAMPLE", key.Public(), time.Now)
	defer gw.Close()
	client, err := sdk.NewClient(gw.URL, "mch_01JEXAMPLE", key)
	if err != nil {
		log.Fatal(err)
	}

	notify := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		event, err := client.VerifyNotification(r)
		if err != nil {
			http.Error(w, "bad signature", http.StatusBadRequest) // the gateway retries
			return
		}
		if event.Type == sdk.EventPaymentSucceeded {
			p, err := event.Payment()
			if err != nil {
				http.Error(w, "bad event", http.StatusBadRequest)
				return
			}
			// Mark the order paid, once per event.ID, in the shop's database.
			fmt.Println("paid:", p.MerchantOrderNo, p.Amount, p.Currency)
		}
		w.WriteHeader(http.StatusNoContent)
	})

	// What the gateway sends (here: the test gateway).
	req := gw.notification("/paygate/notify", sdk.Event{
		ID: "evt_01JEXAMPLE", Type: sdk.EventPaymentSucceeded, CreatedAt: time.Now(),
		Data: []byte(`{"id":"pay_01JEXAMPLE","merchant_order_no":"ORDER-1001","amount":12345,"currency":"CNY","status":"succeeded"}`),
	})
	rec := httptest.NewRecorder()
	notify.ServeHTTP(rec, req)
	fmt.Println(rec.Code)

	// A forged notification is refused.
	forged := gw.notification("/paygate/notify", sdk.Event{ID: "evt_forged", Type: sdk.EventPaymentSucceeded})
	forged.Header.Set(sdk.HeaderSignature, "AAAA")
	rec = httptest.NewRecorder()
	notify.ServeHTTP(rec, forged)
	fmt.Println(rec.Code)
	// Output:
	// paid: ORDER-1001 12345 CNY
	// 204
	// 400
}

// The merchant refunds part of a paid order (back to the card or account it
// was paid from), then checks the payment's refunds. Sending the same
// MerchantRefundNo again returns the same refund: it is never paid twice.
func ExampleClient_CreateRefund() {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	gw := newFakeGateway("mch_01JEXAMPLE", key.Public(), time.Now)
	defer gw.Close()
	client, err := sdk.NewClient(gw.URL, "mch_01JEXAMPLE", key)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	p, err := client.CreatePayment(ctx, sdk.CreatePaymentParams{MerchantOrderNo: "ORDER-1002", Amount: 12345,
		Currency: "CNY", Subject: "Green tea, 500 g"})
	if err != nil {
		log.Fatal(err)
	}
	gw.markPaid(p.ID) // the payer pays at the cashier

	r, err := client.CreateRefund(ctx, sdk.CreateRefundParams{
		MerchantOrderNo:  "ORDER-1002",
		MerchantRefundNo: "ORDER-1002-R1", // yours; unique per payment
		Amount:           2345,            // 23.45 CNY back to the payer
		Reason:           "one bag returned",
	}, sdk.IdempotencyKey("refund-ORDER-1002-R1"))
	if err != nil {
		log.Fatal(err) // e.g. 422 refund_amount_exceeds, 422 refund_window_passed
	}
	switch r.Status {
	case sdk.RefundSucceeded, sdk.RefundFailed:
		fmt.Println(r.Status, r.Amount, r.Currency)
	default: // pending or processing: a refund.succeeded or refund.failed notification follows
		fmt.Println("in progress")
	}
	all, err := client.ListRefunds(ctx, p.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(all), all[0].MerchantRefundNo)
	// Output:
	// succeeded 2345 CNY
	// 1 ORDER-1002-R1
}
