package sdk_test

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"time"

	"paygate/sdk"
)

// fakeGateway is a stand-in for paygate written only against the sdk's
// published scheme: it checks request signatures and signs its responses.
// (internal/auth's tests run the sdk against the real implementation.)
type fakeGateway struct {
	*httptest.Server
	merchantID string
	merchant   crypto.PublicKey // the merchant's registered key
	now        func() time.Time

	mu       sync.Mutex
	keyID    string
	key      ed25519.PrivateKey
	keys     []sdk.GatewayKey
	nonces   map[string]bool
	payments map[string]*sdk.Payment
	refunds  []*sdk.Refund
	idem     map[string][]byte
	tamper   bool // corrupt response bodies after signing
	keyFetch int
}

func newFakeGateway(merchantID string, merchant crypto.PublicKey, now func() time.Time) *fakeGateway {
	g := &fakeGateway{merchantID: merchantID, merchant: merchant, now: now,
		nonces: map[string]bool{}, payments: map[string]*sdk.Payment{}, idem: map[string][]byte{}}
	g.rotate()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/gateway-keys", g.gatewayKeys)
	mux.HandleFunc("POST /v1/payments", g.authed(g.createPayment))
	mux.HandleFunc("GET /v1/payments/{id}", g.authed(g.getPayment))
	mux.HandleFunc("GET /v1/payments", g.authed(g.listPayments))
	mux.HandleFunc("POST /v1/payments/{id}/close", g.authed(g.closePayment))
	mux.HandleFunc("GET /v1/payments/{id}/refunds", g.authed(g.listRefunds))
	mux.HandleFunc("POST /v1/refunds", g.authed(g.createRefund))
	mux.HandleFunc("GET /v1/refunds/{id}", g.authed(g.getRefund))
	g.Server = httptest.NewServer(mux)
	return g
}

// rotate makes a new gateway key the signing one; old ones stay published.
func (g *fakeGateway) rotate() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(pub)
	sum := sha256.Sum256(der)
	g.key, g.keyID = priv, hex.EncodeToString(sum[:8])
	g.keys = append(g.keys, sdk.GatewayKey{KeyID: g.keyID, Alg: sdk.SignTypeED25519,
		PublicKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))})
	return g.keyID
}

func (g *fakeGateway) publicKeys() []sdk.GatewayKey {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]sdk.GatewayKey(nil), g.keys...)
}

// sign returns the gateway signature headers for body.
func (g *fakeGateway) sign(body []byte) http.Header {
	g.mu.Lock()
	defer g.mu.Unlock()
	ts := strconv.FormatInt(g.now().Unix(), 10)
	nb := make([]byte, 18)
	rand.Read(nb)
	nonce := base64.RawURLEncoding.EncodeToString(nb)
	sig := ed25519.Sign(g.key, sdk.CanonicalResponse(ts, nonce, body))
	return http.Header{
		sdk.HeaderTimestamp: {ts}, sdk.HeaderNonce: {nonce},
		sdk.HeaderKeyID: {g.keyID}, sdk.HeaderSignature: {base64.StdEncoding.EncodeToString(sig)},
	}
}

func (g *fakeGateway) write(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	for k, vs := range g.sign(body) {
		w.Header()[k] = vs
	}
	g.mu.Lock()
	tamper := g.tamper
	g.mu.Unlock()
	if tamper {
		body = bytes.Replace(body, []byte("10000"), []byte("10001"), 1)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

func (g *fakeGateway) fail(w http.ResponseWriter, status int, code, msg string) {
	g.write(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg, "request_id": "req_test"}})
}

func (g *fakeGateway) gatewayKeys(w http.ResponseWriter, _ *http.Request) {
	g.mu.Lock()
	g.keyFetch++
	g.mu.Unlock()
	g.write(w, http.StatusOK, map[string]any{"keys": g.publicKeys()})
}

// authed checks the merchant's request signature, as DESIGN §4 says.
func (g *fakeGateway) authed(next func(w http.ResponseWriter, r *http.Request, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h := r.Header
		sig, err := base64.StdEncoding.DecodeString(h.Get(sdk.HeaderSignature))
		ts, _ := strconv.ParseInt(h.Get(sdk.HeaderTimestamp), 10, 64)
		msg := sdk.CanonicalRequest(r.Method, r.RequestURI, h.Get(sdk.HeaderTimestamp), h.Get(sdk.HeaderNonce), body)
		ok := err == nil && h.Get(sdk.HeaderMerchant) == g.merchantID
		switch pub := g.merchant.(type) {
		case ed25519.PublicKey:
			ok = ok && h.Get(sdk.HeaderSignType) == sdk.SignTypeED25519 && ed25519.Verify(pub, msg, sig)
		case *rsa.PublicKey:
			sum := sha256.Sum256(msg)
			ok = ok && h.Get(sdk.HeaderSignType) == sdk.SignTypeRSA2 && rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) == nil
		}
		if d := g.now().Sub(time.Unix(ts, 0)); d > 300*time.Second || d < -300*time.Second {
			ok = false
		}
		g.mu.Lock()
		n := h.Get(sdk.HeaderNonce)
		if g.nonces[n] || len(n) < 16 {
			ok = false
		}
		g.nonces[n] = true
		g.mu.Unlock()
		if !ok {
			g.fail(w, http.StatusUnauthorized, "signature_invalid", "The request signature does not verify.")
			return
		}
		if r.Method == http.MethodPost && h.Get(sdk.HeaderIdempotencyKey) == "" {
			g.fail(w, http.StatusBadRequest, "idempotency_key_missing", "Idempotency-Key is required.")
			return
		}
		next(w, r, body)
	}
}

func (g *fakeGateway) createPayment(w http.ResponseWriter, r *http.Request, body []byte) {
	var p sdk.CreatePaymentParams
	if err := json.Unmarshal(body, &p); err != nil || p.Amount <= 0 {
		g.fail(w, http.StatusBadRequest, "invalid_request", "Bad payment.")
		return
	}
	g.mu.Lock()
	id := fmt.Sprintf("pay_%04d", len(g.payments)+1)
	now := g.now().UTC().Truncate(time.Second)
	pay := &sdk.Payment{ID: id, MerchantOrderNo: p.MerchantOrderNo, Amount: p.Amount, Currency: p.Currency,
		Subject: p.Subject, Status: sdk.StatusCreated, CashierURL: g.URL + "/pay/" + id, ReturnURL: p.ReturnURL,
		NotifyURL: p.NotifyURL, ExpiresAt: now.Add(time.Duration(p.ExpiresIn) * time.Second), CreatedAt: now}
	g.payments[id] = pay
	g.mu.Unlock()
	g.write(w, http.StatusCreated, pay)
}

func (g *fakeGateway) getPayment(w http.ResponseWriter, r *http.Request, _ []byte) {
	g.mu.Lock()
	p, ok := g.payments[r.PathValue("id")]
	g.mu.Unlock()
	if !ok {
		g.fail(w, http.StatusNotFound, "payment_not_found", "No such payment.")
		return
	}
	g.write(w, http.StatusOK, p)
}

func (g *fakeGateway) listPayments(w http.ResponseWriter, r *http.Request, _ []byte) {
	q := r.URL.Query()
	g.mu.Lock()
	page := sdk.PaymentPage{Data: []sdk.Payment{}}
	for i := 1; i <= len(g.payments); i++ {
		p := g.payments[fmt.Sprintf("pay_%04d", i)]
		if (q.Get("merchant_order_no") == "" || p.MerchantOrderNo == q.Get("merchant_order_no")) &&
			(q.Get("status") == "" || p.Status == q.Get("status")) && (q.Get("cursor") == "" || p.ID > q.Get("cursor")) {
			page.Data = append(page.Data, *p)
		}
	}
	g.mu.Unlock()
	if limit, _ := strconv.Atoi(q.Get("limit")); limit > 0 && len(page.Data) > limit {
		page.Data = page.Data[:limit]
		page.NextCursor = page.Data[limit-1].ID
	}
	g.write(w, http.StatusOK, page)
}

func (g *fakeGateway) closePayment(w http.ResponseWriter, r *http.Request, _ []byte) {
	g.mu.Lock()
	p, ok := g.payments[r.PathValue("id")]
	if ok {
		p.Status = sdk.StatusClosed
	}
	g.mu.Unlock()
	if !ok {
		g.fail(w, http.StatusNotFound, "payment_not_found", "No such payment.")
		return
	}
	g.write(w, http.StatusOK, p)
}

// markPaid makes a payment succeeded, as a payer paying it would.
func (g *fakeGateway) markPaid(id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p, ok := g.payments[id]; ok {
		now := g.now().UTC().Truncate(time.Second)
		p.Status, p.PaidAt = sdk.StatusSucceeded, &now
	}
}

// createRefund refunds a succeeded payment at once, idempotently by
// (payment, merchant_refund_no), never past the amount paid.
func (g *fakeGateway) createRefund(w http.ResponseWriter, r *http.Request, body []byte) {
	var p sdk.CreateRefundParams
	if err := json.Unmarshal(body, &p); err != nil || p.Amount <= 0 {
		g.fail(w, http.StatusBadRequest, "refund_invalid", "Bad refund.")
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	var pay *sdk.Payment
	for _, q := range g.payments {
		if q.ID == p.PaymentID || (p.PaymentID == "" && q.MerchantOrderNo == p.MerchantOrderNo) {
			pay = q
		}
	}
	if pay == nil {
		g.failLocked(w, http.StatusNotFound, "payment_not_found", "No such payment.")
		return
	}
	for _, rf := range g.refunds {
		if rf.PaymentID == pay.ID && p.MerchantRefundNo != "" && rf.MerchantRefundNo == p.MerchantRefundNo {
			g.writeLocked(w, http.StatusOK, rf)
			return
		}
	}
	switch {
	case pay.Status != sdk.StatusSucceeded:
		g.failLocked(w, http.StatusConflict, "payment_not_refundable", "Only a succeeded payment can be refunded.")
		return
	case p.Amount > pay.Amount-pay.RefundedAmount:
		g.failLocked(w, http.StatusUnprocessableEntity, "refund_amount_exceeds", "Too much.")
		return
	}
	now := g.now().UTC().Truncate(time.Second)
	rf := &sdk.Refund{ID: fmt.Sprintf("rf_%04d", len(g.refunds)+1), PaymentID: pay.ID, MerchantOrderNo: pay.MerchantOrderNo,
		MerchantRefundNo: p.MerchantRefundNo, Amount: p.Amount, Currency: pay.Currency, Reason: p.Reason, Method: "bankcard",
		Status: sdk.RefundSucceeded, CreatedAt: now, UpdatedAt: now, SucceededAt: &now}
	if rf.MerchantRefundNo == "" {
		rf.MerchantRefundNo = rf.ID
	}
	pay.RefundedAmount += p.Amount
	g.refunds = append(g.refunds, rf)
	g.writeLocked(w, http.StatusOK, rf)
}

func (g *fakeGateway) getRefund(w http.ResponseWriter, r *http.Request, _ []byte) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, rf := range g.refunds {
		if rf.ID == r.PathValue("id") {
			g.writeLocked(w, http.StatusOK, rf)
			return
		}
	}
	g.failLocked(w, http.StatusNotFound, "refund_not_found", "No such refund.")
}

func (g *fakeGateway) listRefunds(w http.ResponseWriter, r *http.Request, _ []byte) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.payments[r.PathValue("id")]; !ok {
		g.failLocked(w, http.StatusNotFound, "payment_not_found", "No such payment.")
		return
	}
	out := map[string]any{"object": "list", "data": []sdk.Refund{}}
	var data []sdk.Refund
	for _, rf := range g.refunds {
		if rf.PaymentID == r.PathValue("id") {
			data = append(data, *rf)
		}
	}
	if data != nil {
		out["data"] = data
	}
	g.writeLocked(w, http.StatusOK, out)
}

// writeLocked and failLocked are write and fail for callers holding g.mu.
func (g *fakeGateway) writeLocked(w http.ResponseWriter, status int, v any) {
	g.mu.Unlock()
	defer g.mu.Lock()
	g.write(w, status, v)
}

func (g *fakeGateway) failLocked(w http.ResponseWriter, status int, code, msg string) {
	g.mu.Unlock()
	defer g.mu.Lock()
	g.fail(w, status, code, msg)
}

// notification returns a signed notification request for the merchant's
// notify handler.
func (g *fakeGateway) notification(target string, e sdk.Event) *http.Request {
	body, _ := json.Marshal(e)
	r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	for k, vs := range g.sign(body) {
		r.Header[k] = vs
	}
	r.Header.Set("Content-Type", "application/json")
	return r
}

// signReturn signs return-URL parameters as the cashier does.
func (g *fakeGateway) signReturn(v url.Values) url.Values {
	g.mu.Lock()
	defer g.mu.Unlock()
	v.Set("timestamp", strconv.FormatInt(g.now().Unix(), 10))
	v.Set("nonce", "return-nonce-0123456789")
	v.Set("key_id", g.keyID)
	msg, err := sdk.CanonicalReturn(v)
	if err != nil {
		panic(err)
	}
	v.Set("sign", base64.StdEncoding.EncodeToString(ed25519.Sign(g.key, []byte(msg))))
	return v
}
