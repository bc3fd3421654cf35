package sdk

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of a [Client].
const (
	// DefaultTimeout bounds each HTTP exchange when no client is given.
	DefaultTimeout = 30 * time.Second
	// DefaultTimestampWindow is how far a gateway signature's timestamp may
	// be from the client's clock.
	DefaultTimestampWindow = 300 * time.Second
	// maxResponse bounds a response or notification body.
	maxResponse = 8 << 20
	// keyRefetchInterval is the least time between fetches of the gateway's
	// keys triggered by unknown key ids.
	keyRefetchInterval = 30 * time.Second
	userAgent          = "paygate-sdk-go/1"
)

// Client calls the paygate merchant API as one merchant. It is safe for
// concurrent use.
type Client struct {
	base       *url.URL
	merchantID string
	signer     crypto.Signer
	signType   string
	keyID      string
	http       *http.Client
	now        func() time.Time
	rand       io.Reader
	window     time.Duration

	mu        sync.Mutex
	gwKeys    map[string]crypto.PublicKey
	pinned    bool
	lastFetch time.Time
}

// Option configures a [Client].
type Option func(*Client) error

// WithHTTPClient sets the HTTP client (default: one with [DefaultTimeout]).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error { c.http = hc; return nil }
}

// WithKeyID sends Paygate-Key-Id, naming which of the merchant's registered
// keys signs. Without it the gateway tries each key of the sign type.
func WithKeyID(id string) Option {
	return func(c *Client) error { c.keyID = id; return nil }
}

// WithClock sets the clock that stamps requests and checks gateway
// timestamps (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *Client) error { c.now = now; return nil }
}

// WithRand sets the source of nonces and idempotency keys (default
// crypto/rand).
func WithRand(r io.Reader) Option {
	return func(c *Client) error { c.rand = r; return nil }
}

// WithTimestampWindow sets how far a gateway signature's timestamp may be
// from the client's clock (default [DefaultTimestampWindow]).
func WithTimestampWindow(d time.Duration) Option {
	return func(c *Client) error { c.window = d; return nil }
}

// GatewayKey is one of the gateway's public keys, as GET /v1/gateway-keys
// lists them.
type GatewayKey struct {
	KeyID        string `json:"key_id"`
	Alg          string `json:"alg"` // ED25519 or RSA2
	PublicKeyPEM string `json:"public_key_pem"`
}

// WithGatewayKeys pins the gateway's public keys: the client then trusts
// only these and never fetches /v1/gateway-keys.
func WithGatewayKeys(keys ...GatewayKey) Option {
	return func(c *Client) error {
		m, err := parseGatewayKeys(keys)
		if err != nil {
			return err
		}
		c.gwKeys, c.pinned = m, true
		return nil
	}
}

// NewClient returns a client of the gateway at baseURL (e.g.
// "https://pay.example.com") for merchantID, signing with key: an
// *rsa.PrivateKey of at least 2048 bits, an ed25519.PrivateKey, or any
// crypto.Signer over one of those (an HSM, say).
func NewClient(baseURL, merchantID string, key crypto.Signer, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("paygate sdk: base url: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("paygate sdk: base url %q: want http(s)://host", baseURL)
	}
	u.Path, u.RawPath = strings.TrimSuffix(u.Path, "/"), ""
	u.RawQuery, u.Fragment = "", ""
	if merchantID == "" {
		return nil, errors.New("paygate sdk: empty merchant id")
	}
	if key == nil {
		return nil, errors.New("paygate sdk: no signing key")
	}
	st, err := signType(key)
	if err != nil {
		return nil, fmt.Errorf("paygate sdk: %w", err)
	}
	c := &Client{
		base: u, merchantID: merchantID, signer: key, signType: st,
		http: &http.Client{Timeout: DefaultTimeout}, now: time.Now, rand: rand.Reader,
		window: DefaultTimestampWindow, gwKeys: map[string]crypto.PublicKey{},
	}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, fmt.Errorf("paygate sdk: %w", err)
		}
	}
	return c, nil
}

// String describes the client without its private key.
func (c *Client) String() string {
	return fmt.Sprintf("paygate client for %s at %s (%s)", c.merchantID, c.base, c.signType)
}

// GoString is [Client.String], so that %#v does not print the private key.
func (c *Client) GoString() string { return c.String() }

// LogValue implements slog.LogValuer without the private key.
func (c *Client) LogValue() slog.Value {
	return slog.GroupValue(slog.String("merchant_id", c.merchantID), slog.String("base_url", c.base.String()),
		slog.String("sign_type", c.signType))
}

// CallOption adjusts one API call.
type CallOption func(*callOptions)

type callOptions struct {
	idempotencyKey string
}

// IdempotencyKey sets the Idempotency-Key of a POST (default: a random key
// per call). Reuse a key to retry a call safely: the gateway replays the
// first response for 24 hours.
func IdempotencyKey(key string) CallOption {
	return func(o *callOptions) { o.idempotencyKey = key }
}

// do sends a signed request and decodes the verified response into out.
// A non-2xx response becomes an *[APIError].
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any, opts []CallOption) error {
	var co callOptions
	for _, o := range opts {
		o(&co)
	}
	var body []byte
	var err error
	if in != nil {
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("paygate sdk: encode request: %w", err)
		}
	}
	u := *c.base
	u.RawPath = c.base.EscapedPath() + path // path is already escaped
	if u.Path, err = url.PathUnescape(u.RawPath); err != nil {
		return fmt.Errorf("paygate sdk: path %q: %w", path, err)
	}
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("paygate sdk: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if method == http.MethodPost {
		k := co.idempotencyKey
		if k == "" {
			if k, err = c.nonce(); err != nil {
				return err
			}
		}
		req.Header.Set(HeaderIdempotencyKey, k)
	}
	if err := c.signRequest(req, body); err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("paygate sdk: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return fmt.Errorf("paygate sdk: %s %s: read response: %w", method, path, err)
	}
	if len(respBody) > maxResponse {
		return fmt.Errorf("paygate sdk: %s %s: response larger than %d bytes", method, path, maxResponse)
	}
	if err := c.VerifyResponse(ctx, resp.Header, respBody); err != nil {
		return &SignatureError{Status: resp.StatusCode, RequestID: resp.Header.Get(HeaderRequestID), Err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newAPIError(resp, respBody)
	}
	if out != nil {
		if err := json.Unmarshal(respBody, out); err != nil {
			return fmt.Errorf("paygate sdk: %s %s: decode response: %w", method, path, err)
		}
	}
	return nil
}

// SignRequest adds the Paygate-* signature headers to req, whose body is
// body (nil for none). The client's methods call it; use it directly only
// for endpoints the client has no method for.
func (c *Client) SignRequest(req *http.Request, body []byte) error {
	return c.signRequest(req, body)
}

func (c *Client) signRequest(req *http.Request, body []byte) error {
	ts := strconv.FormatInt(c.now().Unix(), 10)
	nonce, err := c.nonce()
	if err != nil {
		return err
	}
	msg := CanonicalRequest(req.Method, req.URL.RequestURI(), ts, nonce, body)
	sig, err := sign(c.signType, c.signer, c.rand, msg)
	if err != nil {
		return fmt.Errorf("paygate sdk: sign request: %w", err)
	}
	req.Header.Set(HeaderMerchant, c.merchantID)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignType, c.signType)
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	if c.keyID != "" {
		req.Header.Set(HeaderKeyID, c.keyID)
	}
	return nil
}

// nonce returns 32 random characters of [A-Za-z0-9_-].
func (c *Client) nonce() (string, error) {
	var b [24]byte
	if _, err := io.ReadFull(c.rand, b[:]); err != nil {
		return "", fmt.Errorf("paygate sdk: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
