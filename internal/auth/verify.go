package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"paygate/internal/clock"
)

// TimestampWindow is how far a request's Paygate-Timestamp may be from the
// gateway's clock, either way.
const TimestampWindow = 300 * time.Second

// KeyLookup returns a merchant's registered public keys. It returns an
// error matching [ErrUnknownMerchant] (errors.Is) when there is no such
// merchant or it may not use the API; any other error is treated as an
// internal failure. An empty list means the merchant has no keys.
type KeyLookup func(ctx context.Context, merchantID string) ([]MerchantKey, error)

// NonceChecker records a merchant's nonce, returning [ErrNonceReused] when it
// was already used. [*NonceStore] is the implementation.
type NonceChecker interface {
	Use(ctx context.Context, merchantID, nonce string) error
}

// SignedRequest is what [Verifier.Verify] checks: the request line, the
// raw body and the Paygate-* headers.
type SignedRequest struct {
	Method       string
	PathAndQuery string // the request target as sent, e.g. "/v1/payments?limit=10"
	Header       http.Header
	Body         []byte
}

// Caller is an authenticated merchant.
type Caller struct {
	MerchantID string
	KeyID      string   // the registered key whose signature verified
	SignType   SignType // the algorithm it used
}

// Verifier authenticates merchants' signed requests.
type Verifier struct {
	keys   KeyLookup
	nonces NonceChecker
	clock  clock.Clock
}

// NewVerifier returns a Verifier that finds keys with keys, records nonces
// in nonces and reads the time from c (nil: the system clock).
func NewVerifier(keys KeyLookup, nonces NonceChecker, c clock.Clock) *Verifier {
	if c == nil {
		c = clock.System{}
	}
	return &Verifier{keys: keys, nonces: nonces, clock: c}
}

// Authenticate verifies r, whose body the caller has already read (and
// capped) into body, and returns the merchant's id. Errors are those of
// [Verifier.Verify].
func (v *Verifier) Authenticate(r *http.Request, body []byte) (string, error) {
	c, err := v.Verify(r.Context(), SignedRequest{
		Method:       r.Method,
		PathAndQuery: RequestTarget(r),
		Header:       r.Header,
		Body:         body,
	})
	return c.MerchantID, err
}

// RequestTarget returns the PATH_AND_QUERY that r was signed over: the
// request target exactly as received, or, for requests not read from the
// wire (or in absolute form), the URL's path and query.
func RequestTarget(r *http.Request) string {
	if len(r.RequestURI) > 0 && r.RequestURI[0] == '/' {
		return r.RequestURI
	}
	return r.URL.RequestURI()
}

// headers is a request's parsed Paygate-* headers.
type headers struct {
	merchant  string
	timestamp string
	unix      int64
	nonce     string
	signType  SignType
	signature []byte
	keyID     string
}

// Verify checks req's signature, timestamp window and nonce as the package
// documentation describes, and returns the caller. Errors, all
// [errs.Unauthorized]: [ErrSignatureMissing], [ErrSignTypeUnsupported],
// [ErrTimestampInvalid], [ErrTimestampWindow], [ErrNonceInvalid],
// [ErrMerchantInvalid], [ErrUnknownMerchant], [ErrUnknownKey],
// [ErrKeyTooWeak], [ErrSignatureInvalid], [ErrNonceReused]. A failing key
// lookup or nonce store is returned wrapped, as an internal error.
func (v *Verifier) Verify(ctx context.Context, req SignedRequest) (Caller, error) {
	h, err := parseHeaders(req.Header)
	if err != nil {
		return Caller{}, err
	}
	if d := v.clock.Now().Sub(time.Unix(h.unix, 0)); d > TimestampWindow || d < -TimestampWindow {
		return Caller{}, ErrTimestampWindow
	}
	keys, err := v.keys(ctx, h.merchant)
	if errors.Is(err, ErrUnknownMerchant) {
		return Caller{}, ErrUnknownMerchant
	}
	if err != nil {
		return Caller{}, fmt.Errorf("look up keys of merchant %s: %w", h.merchant, err)
	}
	key, err := verifyWithKeys(keys, h, CanonicalRequest(req.Method, req.PathAndQuery, h.timestamp, h.nonce, req.Body))
	if err != nil {
		return Caller{}, err
	}
	if err := v.nonces.Use(ctx, h.merchant, h.nonce); err != nil {
		if errors.Is(err, ErrNonceReused) {
			return Caller{}, ErrNonceReused
		}
		return Caller{}, fmt.Errorf("merchant %s: %w", h.merchant, err)
	}
	return Caller{MerchantID: h.merchant, KeyID: key.ID, SignType: key.Type}, nil
}

// verifyWithKeys finds the key among keys that signed msg: the one named by
// h.keyID, or any of h.signType.
func verifyWithKeys(keys []MerchantKey, h headers, msg []byte) (MerchantKey, error) {
	candidates, weak := 0, 0
	for _, k := range keys {
		if k.Type != h.signType || (h.keyID != "" && k.ID != h.keyID) {
			continue
		}
		candidates++
		if t, err := keyType(k.Public); err != nil || t != k.Type {
			weak++ // unusable: weak RSA, or a key that is not of its declared type
			continue
		}
		if verifyMessage(k.Type, k.Public, msg, h.signature) {
			return k, nil
		}
	}
	switch {
	case candidates == 0 && h.keyID != "":
		return MerchantKey{}, unauthorized(ErrUnknownKey, "The merchant has no registered "+string(h.signType)+" key with this Paygate-Key-Id.")
	case candidates == 0:
		return MerchantKey{}, unauthorized(ErrUnknownKey, "The merchant has no registered "+string(h.signType)+" key.")
	case weak == candidates:
		return MerchantKey{}, ErrKeyTooWeak
	}
	return MerchantKey{}, ErrSignatureInvalid
}

// Limits on header values, beyond which a request is refused unread.
const (
	minNonce      = 16
	maxNonce      = 64
	maxMerchantID = 64
	maxKeyID      = 64
	maxTimestamp  = 12 // digits: year 33658
	maxSignature  = 1400
)

// parseHeaders reads and validates the Paygate-* headers. It never panics.
func parseHeaders(hdr http.Header) (headers, error) {
	var h headers
	var missing string
	get := func(name string, required bool) (string, bool) {
		vs := hdr.Values(name)
		switch {
		case len(vs) == 0 || (len(vs) == 1 && vs[0] == ""):
			if required && missing == "" {
				missing = name
			}
			return "", true
		case len(vs) > 1:
			return "", false
		}
		return vs[0], true
	}
	var ok [6]bool
	var signType, signature string
	h.merchant, ok[0] = get(HeaderMerchant, true)
	h.timestamp, ok[1] = get(HeaderTimestamp, true)
	h.nonce, ok[2] = get(HeaderNonce, true)
	signType, ok[3] = get(HeaderSignType, true)
	signature, ok[4] = get(HeaderSignature, true)
	h.keyID, ok[5] = get(HeaderKeyID, false)
	if missing != "" {
		return h, unauthorized(ErrSignatureMissing, "The request is not signed: header "+missing+" is missing.")
	}
	for i, name := range []string{HeaderMerchant, HeaderTimestamp, HeaderNonce, HeaderSignType, HeaderSignature, HeaderKeyID} {
		if !ok[i] {
			return h, unauthorized(ErrSignatureInvalid, "Header "+name+" is given more than once.")
		}
	}
	t, err := ParseSignType(signType)
	if err != nil {
		return h, ErrSignTypeUnsupported
	}
	h.signType = t
	if !validToken(h.merchant, 1, maxMerchantID) {
		return h, ErrMerchantInvalid
	}
	if h.keyID != "" && !validToken(h.keyID, 1, maxKeyID) {
		return h, unauthorized(ErrUnknownKey, "Paygate-Key-Id is not a key id.")
	}
	if h.unix, err = parseUnix(h.timestamp); err != nil {
		return h, ErrTimestampInvalid
	}
	if !validToken(h.nonce, minNonce, maxNonce) {
		return h, ErrNonceInvalid
	}
	if len(signature) > maxSignature {
		return h, unauthorized(ErrSignatureInvalid, "Paygate-Signature is too long.")
	}
	if h.signature, err = base64.StdEncoding.DecodeString(signature); err != nil {
		return h, unauthorized(ErrSignatureInvalid, "Paygate-Signature is not standard base64.")
	}
	return h, nil
}

// parseUnix parses decimal unix seconds: digits only, no sign.
func parseUnix(s string) (int64, error) {
	if s == "" || len(s) > maxTimestamp {
		return 0, errors.New("timestamp: want 1 to 12 digits")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("timestamp: want digits only")
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

// validToken reports whether s has min to max characters of [A-Za-z0-9_-].
func validToken(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
