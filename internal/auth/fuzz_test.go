package auth

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"paygate/internal/clock"
	"paygate/internal/errs"
)

// FuzzVerifyHeaders feeds arbitrary header values and bodies through header
// parsing and verification: it must never panic, and every refusal must be
// a 401 with a code.
func FuzzVerifyHeaders(f *testing.F) {
	k := testKeys()
	s := signedRequest{method: "POST", target: "/v1/payments", body: []byte(`{"a":1}`), merchant: "mch_a",
		ts: testStart, nonce: "seed-nonce-0123456789", signType: ED25519, key: k.ed}
	r := s.build(f)
	f.Add(r.Header.Get(HeaderMerchant), r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderNonce),
		r.Header.Get(HeaderSignType), r.Header.Get(HeaderSignature), "", `{"a":1}`)
	f.Add("mch_a", "1772352000", "short", "RSA2", "AAAA", "k1", "")
	f.Add("", "", "", "", "", "", "")
	f.Add("mch_a", "99999999999999", "nonce-nonce-nonce-nonce", "ED25519", "====", "x y", "\n")
	f.Add("mch_a", "0", "nonce-nonce-nonce-nonce", "RSA2", "////////////////", "", "body")
	lookup := mapLookup(map[string][]MerchantKey{
		"mch_a": {mustMerchantKey(f, k.ed), mustMerchantKey(f, k.rsa), mustMerchantKey(f, k.rsaShort),
			{ID: "broken", Type: ED25519, Public: []byte{1, 2}}, {ID: "nil", Type: RSA2}},
	})
	v := NewVerifier(lookup, &memNonces{}, clock.NewFake(testStart))
	f.Fuzz(func(t *testing.T, merchant, ts, nonce, signType, sig, keyID, body string) {
		h := http.Header{}
		for name, val := range map[string]string{HeaderMerchant: merchant, HeaderTimestamp: ts, HeaderNonce: nonce,
			HeaderSignType: signType, HeaderSignature: sig, HeaderKeyID: keyID} {
			h.Set(name, val)
		}
		_, err := v.Verify(context.Background(), SignedRequest{Method: "POST", PathAndQuery: "/v1/payments", Header: h, Body: []byte(body)})
		if err != nil && (errs.KindOf(err) != errs.Unauthorized || errs.CodeOf(err) == "") {
			t.Fatalf("err %v: kind %v", err, errs.KindOf(err))
		}
		// Return parameters parse without panics too.
		_, _ = CanonicalReturn(url.Values{merchant: {ts}, nonce: {sig, body}})
	})
}
