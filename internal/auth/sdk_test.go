package auth

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"

	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/errs"
	"paygate/sdk"
)

// apiServer is a minimal merchant API on the real auth package: it
// authenticates with a Verifier on a real nonce store and signs every
// response with GatewayKeys, so the sdk is tested against the real thing.
type apiServer struct {
	*httptest.Server
	keys     *GatewayKeys
	keyDir   string
	verifier *Verifier
}

func newAPIServer(t *testing.T, d *db.DB, merchants map[string][]MerchantKey) *apiServer {
	t.Helper()
	dir := t.TempDir()
	gk, err := LoadOrCreateGatewayKeys(dir, ED25519, KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := &apiServer{keys: gk, keyDir: dir, verifier: NewVerifier(mapLookup(merchants), NewNonceStore(d, nil), clock.System{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/gateway-keys", func(w http.ResponseWriter, r *http.Request) {
		s.write(w, http.StatusOK, map[string]any{"keys": gk.PublicKeys()})
	})
	mux.HandleFunc("POST /v1/payments", s.authed(func(w http.ResponseWriter, merchant string, body []byte) {
		var p sdk.CreatePaymentParams
		json.Unmarshal(body, &p)
		s.write(w, http.StatusCreated, sdk.Payment{ID: "pay_1", MerchantOrderNo: p.MerchantOrderNo, Amount: p.Amount,
			Currency: p.Currency, Status: sdk.StatusCreated, CashierURL: "https://gw/pay/pay_1"})
	}))
	mux.HandleFunc("GET /v1/payments/{id}", s.authed(func(w http.ResponseWriter, merchant string, _ []byte) {
		s.write(w, http.StatusOK, sdk.Payment{ID: "pay_1", Status: sdk.StatusSucceeded, Method: merchant})
	}))
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *apiServer) authed(next func(w http.ResponseWriter, merchant string, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		merchant, err := s.verifier.Authenticate(r, body)
		if err != nil {
			e := errs.As(err)
			if e == nil {
				e = errs.E(errs.Internal, "internal", "Internal error.")
			}
			s.write(w, e.Kind.HTTPStatus(), map[string]any{"error": map[string]string{"code": e.Code, "message": e.Message, "request_id": "req_1"}})
			return
		}
		next(w, merchant, body)
	}
}

func (s *apiServer) write(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	h, err := s.keys.Sign(body)
	if err != nil {
		panic(err)
	}
	for k, vs := range h {
		w.Header()[k] = vs
	}
	w.WriteHeader(status)
	w.Write(body)
}

// gatewaySigner reads the active gateway private key from its file, as
// another implementation of the scheme would.
func (s *apiServer) gatewaySigner(t *testing.T) crypto.Signer {
	t.Helper()
	k, err := readKeyFile(filepath.Join(s.keyDir, "gateway-"+s.keys.ActiveKeyID()+".pem"))
	if err != nil {
		t.Fatal(err)
	}
	return k.signer
}

// transportFunc lets a test meddle with requests on the wire.
type transportFunc func(*http.Request) (*http.Response, error)

func (f transportFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestSDKAgainstAuth(t *testing.T) {
	t.Parallel()
	k := testKeys()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := context.Background()
		s := newAPIServer(t, d, map[string][]MerchantKey{
			"mch_ed":  {mustMerchantKey(t, k.ed)},
			"mch_rsa": {mustMerchantKey(t, k.rsa)},
		})
		params := sdk.CreatePaymentParams{MerchantOrderNo: "A1", Amount: 100, Currency: "CNY", Subject: "tea"}

		for _, c := range []struct {
			merchant string
			key      crypto.Signer
			opts     []sdk.Option
		}{{"mch_ed", k.ed, nil}, {"mch_rsa", k.rsa, []sdk.Option{sdk.WithKeyID(mustMerchantKey(t, k.rsa).ID)}}} {
			client, err := sdk.NewClient(s.URL, c.merchant, c.key, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			p, err := client.CreatePayment(ctx, params)
			if err != nil || p.ID != "pay_1" || p.Amount != 100 {
				t.Fatalf("%s: CreatePayment = %+v, %v", c.merchant, p, err)
			}
			p, err = client.GetPayment(ctx, "pay_1")
			if err != nil || p.Method != c.merchant {
				t.Fatalf("%s: GetPayment = %+v, %v", c.merchant, p, err)
			}
		}

		// Requests meddled with on the wire: the gateway refuses them with a
		// signed 401 that the sdk verifies and reports as an APIError.
		var mu sync.Mutex
		var last *http.Request
		var lastBody []byte
		meddle := func(change func(r *http.Request, body []byte) []byte) *http.Client {
			return &http.Client{Transport: transportFunc(func(r *http.Request) (*http.Response, error) {
				var body []byte
				if r.Body != nil {
					body, _ = io.ReadAll(r.Body)
				}
				if r.Method == http.MethodPost {
					mu.Lock()
					last, lastBody = r.Clone(ctx), body
					mu.Unlock()
				}
				body = change(r, body)
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
				return http.DefaultTransport.RoundTrip(r)
			})}
		}
		tests := []struct {
			name   string
			key    crypto.Signer
			change func(r *http.Request, body []byte) []byte
			code   string
		}{
			{"TamperedBody", k.ed, func(r *http.Request, b []byte) []byte { return bytes.Replace(b, []byte("100"), []byte("1"), 1) }, "signature_invalid"},
			{"TamperedPath", k.ed, func(r *http.Request, b []byte) []byte { r.URL.RawQuery = "x=1"; return b }, "signature_invalid"},
			{"StaleTimestamp", k.ed, func(r *http.Request, b []byte) []byte { r.Header.Set(HeaderTimestamp, "1000000000"); return b }, "timestamp_out_of_window"},
			{"UnknownKey", k.ed2, func(r *http.Request, b []byte) []byte { return b }, "signature_invalid"},
			{"UnknownKeyID", k.ed, func(r *http.Request, b []byte) []byte { r.Header.Set(HeaderKeyID, "0000000000000000"); return b }, "unknown_key"},
			{"WrongSignType", k.ed, func(r *http.Request, b []byte) []byte { r.Header.Set(HeaderSignType, "RSA"); return b }, "sign_type_unsupported"},
		}
		for _, tt := range tests {
			client, _ := sdk.NewClient(s.URL, "mch_ed", tt.key, sdk.WithHTTPClient(meddle(tt.change)))
			var ae *sdk.APIError
			if _, err := client.CreatePayment(ctx, params); !errors.As(err, &ae) || ae.Status != 401 || ae.Code != tt.code {
				t.Errorf("%s: err = %v, want 401 %s", tt.name, err, tt.code)
			}
		}

		// A replay of a captured request, byte for byte.
		client, _ := sdk.NewClient(s.URL, "mch_ed", k.ed, sdk.WithHTTPClient(meddle(func(r *http.Request, b []byte) []byte { return b })))
		if _, err := client.CreatePayment(ctx, params); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		replay := last.Clone(ctx)
		replay.Body, replay.RequestURI = io.NopCloser(bytes.NewReader(lastBody)), ""
		mu.Unlock()
		resp, err := http.DefaultTransport.RoundTrip(replay)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 || !bytes.Contains(body, []byte(`"nonce_reused"`)) {
			t.Fatalf("replay: %d %s", resp.StatusCode, body)
		}
		if err := s.keys.Verify(resp.Header, body); err != nil {
			t.Fatalf("the 401 is not signed: %v", err)
		}
	})
}

func TestSDKVerifiesGatewaySignatures(t *testing.T) {
	t.Parallel()
	k := testKeys()
	ctx := context.Background()
	s := newAPIServer(t, dbtest.NewSQLite(t), map[string][]MerchantKey{"mch_ed": {mustMerchantKey(t, k.ed)}})
	client, err := sdk.NewClient(s.URL, "mch_ed", k.ed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.GetPayment(ctx, "pay_1"); err != nil {
		t.Fatal(err)
	}

	// Rotation: the sdk meets a new key id and refetches the key list.
	if _, err := Rotate(s.keyDir, RSA2, KeyOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.keys.Reload(); err != nil {
		t.Fatal(err)
	}
	// The client fetched keys less than 30 s ago, so it refuses the new key
	// id for now; a fresh client fetches at once.
	client, _ = sdk.NewClient(s.URL, "mch_ed", k.ed)
	if _, err := client.GetPayment(ctx, "pay_1"); err != nil {
		t.Fatalf("after rotation: %v", err)
	}

	// Notifications: signed by auth, verified by the sdk.
	event := []byte(`{"id":"evt_1","type":"payment.succeeded","created_at":"2026-03-01T08:00:00Z","data":{"id":"pay_1","amount":100,"currency":"CNY","status":"succeeded"}}`)
	h, err := s.keys.Sign(event)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/notify", bytes.NewReader(event))
	for k, vs := range h {
		r.Header[k] = vs
	}
	e, err := client.VerifyNotification(r)
	if err != nil || e.ID != "evt_1" {
		t.Fatalf("VerifyNotification = %+v, %v", e, err)
	}
	if p, err := e.Payment(); err != nil || p.Amount != 100 {
		t.Fatalf("payment %+v, %v", p, err)
	}
	if err := client.VerifyResponse(ctx, h, append(event, ' ')); !errors.Is(err, sdk.ErrSignature) {
		t.Fatalf("tampered notification: %v", err)
	}

	// Return parameters: signed by auth, verified by the sdk …
	signed, err := s.keys.SignReturn(url.Values{"payment_id": {"pay_1"}, "merchant_order_no": {"A 1&x=y"}, "status": {"succeeded"}})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("https://shop.example/back?" + signed.Encode())
	ret, err := client.VerifyReturn(ctx, u.Query())
	if err != nil || ret.PaymentID != "pay_1" || ret.MerchantOrderNo != "A 1&x=y" {
		t.Fatalf("sdk VerifyReturn = %+v, %v", ret, err)
	}
	// … and signed over the sdk's canonical string, verified by auth.
	v := url.Values{"payment_id": {"pay_2"}, "status": {"closed"}, "timestamp": {"1772352000"},
		"nonce": {"nonce-nonce-nonce-1"}, "key_id": {s.keys.ActiveKeyID()}}
	msg, err := sdk.CanonicalReturn(v)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := signMessage(s.keys.active().alg, s.gatewaySigner(t), nil, []byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	v.Set("sign", base64.StdEncoding.EncodeToString(sig))
	if err := s.keys.VerifyReturn(v); err != nil {
		t.Fatalf("auth VerifyReturn of sdk-canonical signature: %v", err)
	}
}

// FuzzCanonicalAgree keeps the sdk's copy of the canonical strings equal to
// the gateway's.
func FuzzCanonicalAgree(f *testing.F) {
	f.Add("POST", "/v1/payments?a=b", "1772352000", "nonce-0123456789ab", []byte(`{"x":1}`), "k", "v&w=x")
	f.Add("", "", "", "", []byte{}, "sign", "")
	f.Add("GET", "/v1/payments/pay_1", "1", "n", []byte("\n\n"), "a b", "é+%")
	f.Fuzz(func(t *testing.T, method, target, ts, nonce string, body []byte, k, v string) {
		if a, b := CanonicalRequest(method, target, ts, nonce, body), sdk.CanonicalRequest(method, target, ts, nonce, body); !bytes.Equal(a, b) {
			t.Fatalf("request: auth %q, sdk %q", a, b)
		}
		if a, b := CanonicalResponse(ts, nonce, body), sdk.CanonicalResponse(ts, nonce, body); !bytes.Equal(a, b) {
			t.Fatalf("response: auth %q, sdk %q", a, b)
		}
		for _, vals := range []url.Values{{k: {v}, method: {target}}, {k: {v, v}}, {"sign": {v}, ts: {nonce}}} {
			a, errA := CanonicalReturn(vals)
			b, errB := sdk.CanonicalReturn(vals)
			if a != b || (errA == nil) != (errB == nil) {
				t.Fatalf("return %v: auth %q %v, sdk %q %v", vals, a, errA, b, errB)
			}
		}
	})
}
