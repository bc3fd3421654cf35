package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/errs"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	k := testKeys()
	rsaKey, edKey := mustMerchantKey(t, k.rsa), mustMerchantKey(t, k.ed)
	lookup := mapLookup(map[string][]MerchantKey{
		"mch_a":    {rsaKey, edKey, mustMerchantKey(t, k.ed2)},
		"mch_rsa":  {rsaKey},
		"mch_weak": {mustMerchantKey(t, k.rsaShort)},
		"mch_none": {},
	})
	valid := func() signedRequest {
		return signedRequest{method: "POST", target: "/v1/payments", body: []byte(`{"amount":100}`),
			merchant: "mch_a", ts: testStart, signType: ED25519, key: k.ed}
	}
	tests := []struct {
		name    string
		req     func(s *signedRequest)
		mangle  func(r *http.Request) // after signing
		body    string                // if set, the body the server receives
		want    *errs.Error           // nil: accepted
		wantKey string
	}{
		{name: "ValidEd25519", req: func(s *signedRequest) {}, wantKey: edKey.ID},
		{name: "ValidRSA2", req: func(s *signedRequest) { s.signType, s.key = RSA2, k.rsa }, wantKey: rsaKey.ID},
		{name: "ValidSecondEd25519Key", req: func(s *signedRequest) { s.key = k.ed2 }, wantKey: mustMerchantKey(t, k.ed2).ID},
		{name: "ValidWithKeyID", req: func(s *signedRequest) { s.keyID = edKey.ID }, wantKey: edKey.ID},
		{name: "ValidGETWithQuery", req: func(s *signedRequest) {
			s.method, s.target, s.body = "GET", "/v1/payments?merchant_order_no=A%201&limit=2", nil
		}, wantKey: edKey.ID},
		{name: "ValidTimestampAtWindowEdge", req: func(s *signedRequest) { s.ts = testStart.Add(-TimestampWindow) }, wantKey: edKey.ID},
		{name: "ValidFutureAtWindowEdge", req: func(s *signedRequest) { s.ts = testStart.Add(TimestampWindow) }, wantKey: edKey.ID},
		{name: "TamperedBody", req: func(s *signedRequest) {}, body: `{"amount":1}`, want: ErrSignatureInvalid},
		{name: "TamperedPath", req: func(s *signedRequest) {}, mangle: func(r *http.Request) { r.RequestURI = "/v1/payments/pay_x/close" }, want: ErrSignatureInvalid},
		{name: "TamperedQuery", req: func(s *signedRequest) { s.method, s.target, s.body = "GET", "/v1/payments?limit=2", nil }, mangle: func(r *http.Request) { r.RequestURI = "/v1/payments?limit=200" }, want: ErrSignatureInvalid},
		{name: "TamperedMethod", req: func(s *signedRequest) {}, mangle: func(r *http.Request) { r.Method = "PUT" }, want: ErrSignatureInvalid},
		{name: "TamperedTimestamp", req: func(s *signedRequest) {}, mangle: func(r *http.Request) { r.Header.Set(HeaderTimestamp, "1772352001") }, want: ErrSignatureInvalid},
		{name: "StaleTimestamp", req: func(s *signedRequest) { s.ts = testStart.Add(-TimestampWindow - time.Second) }, want: ErrTimestampWindow},
		{name: "FutureTimestamp", req: func(s *signedRequest) { s.ts = testStart.Add(TimestampWindow + time.Second) }, want: ErrTimestampWindow},
		{name: "UnknownMerchant", req: func(s *signedRequest) { s.merchant = "mch_nobody" }, want: ErrUnknownMerchant},
		{name: "MerchantWithoutKeys", req: func(s *signedRequest) { s.merchant = "mch_none" }, want: ErrUnknownKey},
		{name: "UnknownKeyID", req: func(s *signedRequest) { s.keyID = "0123456789abcdef" }, want: ErrUnknownKey},
		{name: "UnknownKeyUnregistered", req: func(s *signedRequest) { s.key = k.ed2; s.merchant = "mch_rsa"; s.signType = ED25519 }, want: ErrUnknownKey},
		{name: "UnregisteredKeyOfKnownType", req: func(s *signedRequest) { s.merchant, s.signType, s.key = "mch_rsa", RSA2, k.rsa2 }, want: ErrSignatureInvalid},
		{name: "WrongSignTypeName", req: func(s *signedRequest) {}, mangle: func(r *http.Request) { r.Header.Set(HeaderSignType, "MD5") }, want: ErrSignTypeUnsupported},
		{name: "WrongSignTypeLowercase", req: func(s *signedRequest) {}, mangle: func(r *http.Request) { r.Header.Set(HeaderSignType, "ed25519") }, want: ErrSignTypeUnsupported},
		{name: "SignTypeSaysRSA2ButEd25519", req: func(s *signedRequest) {}, mangle: func(r *http.Request) { r.Header.Set(HeaderSignType, "RSA2") }, want: ErrSignatureInvalid},
		{name: "ShortRSAKey", req: func(s *signedRequest) { s.merchant, s.signType, s.key = "mch_weak", RSA2, k.rsaShort }, want: ErrKeyTooWeak},
		{name: "MissingSignature", req: func(s *signedRequest) {}, mangle: func(r *http.Request) { r.Header.Del(HeaderSignature) }, want: ErrSignatureMissing},
		{name: "MissingMerchant", req: func(s *signedRequest) {}, mangle: func(r *http.Request) { r.Header.Del(HeaderMerchant) }, want: ErrSignatureMissing},
		{name: "MissingNonce", req: func(s *signedRequest) {}, mangle: func(r *http.Request) { r.Header.Del(HeaderNonce) }, want: ErrSignatureMissing},
		{name: "MissingTimestamp", req: func(s *signedRequest) {}, mangle: func(r *http.Request) { r.Header.Set(HeaderTimestamp, "") }, want: ErrSignatureMissing},
		{name: "RepeatedSignature", req: func(s *signedRequest) {}, mangle: func(r *http.Request) { r.Header.Add(HeaderSignature, "AAAA") }, want: ErrSignatureInvalid},
		{name: "SignatureNotBase64", req: func(s *signedRequest) {}, mangle: func(r *http.Request) { r.Header.Set(HeaderSignature, "***") }, want: ErrSignatureInvalid},
		{name: "ShortNonce", req: func(s *signedRequest) { s.nonce = "abc" }, want: ErrNonceInvalid},
		{name: "LongNonce", req: func(s *signedRequest) { s.nonce = strings.Repeat("a", 65) }, want: ErrNonceInvalid},
		{name: "NonceBadChars", req: func(s *signedRequest) { s.nonce = "abcdefghijklmnop/" }, want: ErrNonceInvalid},
		{name: "TimestampNotDigits", req: func(s *signedRequest) {}, mangle: func(r *http.Request) { r.Header.Set(HeaderTimestamp, "-1772352000") }, want: ErrTimestampInvalid},
		{name: "TimestampTooLong", req: func(s *signedRequest) {}, mangle: func(r *http.Request) { r.Header.Set(HeaderTimestamp, "99999999999999999999") }, want: ErrTimestampInvalid},
		{name: "MerchantBadChars", req: func(s *signedRequest) { s.merchant = "mch a" }, want: ErrMerchantInvalid},
	}
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		clk := clock.NewFake(testStart)
		v := NewVerifier(lookup, NewNonceStore(d, clk), clk)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				s := valid()
				s.nonce = newNonceForTest(t)
				tt.req(&s)
				r := s.build(t)
				body := s.body
				if tt.mangle != nil {
					tt.mangle(r)
				}
				if tt.body != "" {
					body = []byte(tt.body)
				}
				c, err := v.Verify(context.Background(), SignedRequest{Method: r.Method, PathAndQuery: RequestTarget(r), Header: r.Header, Body: body})
				if tt.want == nil {
					if err != nil {
						t.Fatalf("Verify: %v", err)
					}
					if c.MerchantID != s.merchant || c.KeyID != tt.wantKey || c.SignType != s.signType {
						t.Fatalf("caller = %+v, want merchant %s key %s type %s", c, s.merchant, tt.wantKey, s.signType)
					}
					// The same request again is a replay.
					if _, err := v.Authenticate(s.build(t), s.body); !errors.Is(err, ErrNonceReused) {
						t.Fatalf("replay: err = %v, want nonce_reused", err)
					}
					return
				}
				if !errors.Is(err, tt.want) || errs.KindOf(err) != errs.Unauthorized {
					t.Fatalf("err = %v (kind %v), want %s (401)", err, errs.KindOf(err), tt.want.Code)
				}
				if errs.KindOf(err).HTTPStatus() != http.StatusUnauthorized {
					t.Fatalf("status %d", errs.KindOf(err).HTTPStatus())
				}
				// Nothing changed: a refused request did not burn its nonce
				// (unless the nonce itself was the problem).
				if tt.want == ErrNonceInvalid || s.merchant != "mch_a" {
					return
				}
				s2 := valid()
				s2.nonce = s.nonce
				if _, err := v.Authenticate(s2.build(t), s2.body); err != nil {
					t.Fatalf("valid request with the refused request's nonce: %v", err)
				}
			})
		}
	})
}

func TestVerifyLookupFailureIsNotUnauthorized(t *testing.T) {
	t.Parallel()
	k := testKeys()
	boom := errors.New("database down")
	v := NewVerifier(func(context.Context, string) ([]MerchantKey, error) { return nil, boom }, &memNonces{}, clock.NewFake(testStart))
	s := signedRequest{method: "GET", target: "/v1/payments", merchant: "mch_a", ts: testStart, nonce: newNonceForTest(t), signType: ED25519, key: k.ed}
	_, err := v.Authenticate(s.build(t), nil)
	if !errors.Is(err, boom) || errs.KindOf(err) != errs.Internal {
		t.Fatalf("err = %v (kind %v), want the lookup error as internal", err, errs.KindOf(err))
	}
}

func TestRequestTarget(t *testing.T) {
	t.Parallel()
	r, _ := http.NewRequest("GET", "http://gw.example/v1/payments?a=%20b", nil)
	if got := RequestTarget(r); got != "/v1/payments?a=%20b" {
		t.Fatalf("client-side request: %q", got)
	}
	r.RequestURI = "/v1/payments?a=+b"
	if got := RequestTarget(r); got != "/v1/payments?a=+b" {
		t.Fatalf("server-side request: %q", got)
	}
	r.RequestURI = "http://gw.example/v1/x"
	if got := RequestTarget(r); got != "/v1/payments?a=%20b" {
		t.Fatalf("absolute-form request: %q", got)
	}
}
