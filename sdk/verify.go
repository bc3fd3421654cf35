package sdk

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// ErrSignature is the error (wrapped) of a response, notification or return
// URL whose gateway signature is missing, malformed, stale or wrong.
var ErrSignature = errors.New("paygate sdk: gateway signature does not verify")

// VerifyResponse checks the gateway's signature of a response or
// notification: header carries Paygate-Timestamp, Paygate-Nonce,
// Paygate-Key-Id and Paygate-Signature over body, by a known gateway key,
// with the timestamp within the window. An unknown key id makes the client
// refetch the gateway's keys (unless they are pinned). Errors wrap
// [ErrSignature], or are the failure to fetch keys.
func (c *Client) VerifyResponse(ctx context.Context, header http.Header, body []byte) error {
	ts, nonce := header.Get(HeaderTimestamp), header.Get(HeaderNonce)
	keyID, sig64 := header.Get(HeaderKeyID), header.Get(HeaderSignature)
	if ts == "" || nonce == "" || keyID == "" || sig64 == "" {
		return fmt.Errorf("%w: Paygate-Timestamp, -Nonce, -Key-Id or -Signature missing", ErrSignature)
	}
	if err := c.checkTimestamp(ts); err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(sig64)
	if err != nil {
		return fmt.Errorf("%w: signature is not base64", ErrSignature)
	}
	pub, err := c.gatewayKey(ctx, keyID)
	if err != nil {
		return err
	}
	if !verify(pub, CanonicalResponse(ts, nonce, body), sig) {
		return fmt.Errorf("%w: bad signature by key %s", ErrSignature, keyID)
	}
	return nil
}

// checkTimestamp checks that unix seconds ts is within the client's window.
func (c *Client) checkTimestamp(ts string) error {
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || unix < 0 || len(ts) > 12 {
		return fmt.Errorf("%w: timestamp %q is not unix seconds", ErrSignature, ts)
	}
	if d := c.now().Sub(time.Unix(unix, 0)); d > c.window || d < -c.window {
		return fmt.Errorf("%w: timestamp %s is %v away from this clock", ErrSignature, ts, d.Round(time.Second))
	}
	return nil
}

// Event is a notification the gateway POSTs to a merchant's notify_url.
type Event struct {
	ID        string          `json:"id"`   // evt_…; the same event may arrive more than once
	Type      string          `json:"type"` // e.g. payment.succeeded
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"` // the full object, e.g. a Payment
}

// Event types.
const (
	EventPaymentSucceeded = "payment.succeeded"
	EventPaymentClosed    = "payment.closed"
	EventRefundSucceeded  = "refund.succeeded" // data is a Refund ([Event.Refund])
	EventRefundFailed     = "refund.failed"    // data is a Refund
)

// Payment decodes the event's data as a payment.
func (e Event) Payment() (*Payment, error) {
	var p Payment
	if err := json.Unmarshal(e.Data, &p); err != nil {
		return nil, fmt.Errorf("paygate sdk: event %s: decode payment: %w", e.ID, err)
	}
	return &p, nil
}

// VerifyNotification reads a notification request's body (up to 8 MiB),
// checks its gateway signature as [Client.VerifyResponse] does, and decodes
// the event. Answer 2xx only after the event is applied (idempotently, by
// event id): anything else makes the gateway retry.
func (c *Client) VerifyNotification(r *http.Request) (Event, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponse+1))
	if err != nil {
		return Event{}, fmt.Errorf("paygate sdk: read notification: %w", err)
	}
	if len(body) > maxResponse {
		return Event{}, fmt.Errorf("paygate sdk: notification larger than %d bytes", maxResponse)
	}
	if err := c.VerifyResponse(r.Context(), r.Header, body); err != nil {
		return Event{}, err
	}
	var e Event
	if err := json.Unmarshal(body, &e); err != nil {
		return Event{}, fmt.Errorf("paygate sdk: decode notification: %w", err)
	}
	return e, nil
}

// Return is what the signed return-URL parameters say.
type Return struct {
	PaymentID       string
	MerchantOrderNo string
	Status          string     // the payment's status when the payer left the cashier
	Params          url.Values // every parameter, signed ones included
}

// VerifyReturn checks the signed parameters the cashier added to the
// merchant's return_url (r.URL.Query() on the return page): the signature
// by gateway key key_id over [CanonicalReturn], and the timestamp window.
// Errors wrap [ErrSignature], or are the failure to fetch keys.
func (c *Client) VerifyReturn(ctx context.Context, values url.Values) (Return, error) {
	sig, err := base64.StdEncoding.DecodeString(values.Get("sign"))
	if err != nil || len(values["sign"]) != 1 || len(sig) == 0 {
		return Return{}, fmt.Errorf("%w: sign missing or not base64", ErrSignature)
	}
	for _, p := range []string{"timestamp", "nonce", "key_id"} {
		if values.Get(p) == "" {
			return Return{}, fmt.Errorf("%w: parameter %s missing", ErrSignature, p)
		}
	}
	if err := c.checkTimestamp(values.Get("timestamp")); err != nil {
		return Return{}, err
	}
	msg, err := CanonicalReturn(values)
	if err != nil {
		return Return{}, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	pub, err := c.gatewayKey(ctx, values.Get("key_id"))
	if err != nil {
		return Return{}, err
	}
	if !verify(pub, []byte(msg), sig) {
		return Return{}, fmt.Errorf("%w: bad return signature by key %s", ErrSignature, values.Get("key_id"))
	}
	return Return{
		PaymentID:       values.Get("payment_id"),
		MerchantOrderNo: values.Get("merchant_order_no"),
		Status:          values.Get("status"),
		Params:          values,
	}, nil
}

// gatewayKey returns the gateway's public key id, fetching the key list
// when id is unknown, the keys are not pinned, and the last fetch is more
// than 30 s ago.
func (c *Client) gatewayKey(ctx context.Context, id string) (crypto.PublicKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.gwKeys[id]; ok {
		return k, nil
	}
	now := c.now()
	if c.pinned || (!c.lastFetch.IsZero() && now.Sub(c.lastFetch) < keyRefetchInterval) {
		return nil, fmt.Errorf("%w: unknown gateway key id %q", ErrSignature, id)
	}
	c.lastFetch = now
	keys, err := c.fetchGatewayKeys(ctx)
	if err != nil {
		return nil, err
	}
	m, err := parseGatewayKeys(keys)
	if err != nil {
		return nil, fmt.Errorf("paygate sdk: gateway keys: %w", err)
	}
	c.gwKeys = m
	if k, ok := m[id]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w: unknown gateway key id %q", ErrSignature, id)
}

// GatewayKeys fetches the gateway's published public keys. Their
// authenticity rests on HTTPS: pin them with [WithGatewayKeys] to rely on
// nothing else.
func (c *Client) GatewayKeys(ctx context.Context) ([]GatewayKey, error) {
	return c.fetchGatewayKeys(ctx)
}

// fetchGatewayKeys GETs /v1/gateway-keys (signed, in case the gateway wants
// it signed). The response cannot be verified with keys it delivers.
func (c *Client) fetchGatewayKeys(ctx context.Context) ([]GatewayKey, error) {
	u := *c.base
	u.Path, u.RawPath = c.base.Path+"/v1/gateway-keys", ""
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("paygate sdk: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if err := c.signRequest(req, nil); err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("paygate sdk: fetch gateway keys: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("paygate sdk: fetch gateway keys: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("paygate sdk: fetch gateway keys: %w", newAPIError(resp, body))
	}
	var out struct {
		Keys []GatewayKey `json:"keys"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("paygate sdk: fetch gateway keys: %w", err)
	}
	return out.Keys, nil
}

func parseGatewayKeys(keys []GatewayKey) (map[string]crypto.PublicKey, error) {
	m := make(map[string]crypto.PublicKey, len(keys))
	for _, k := range keys {
		pub, err := parsePublicKeyPEM(k.PublicKeyPEM)
		if err != nil {
			return nil, fmt.Errorf("gateway key %s: %w", k.KeyID, err)
		}
		if k.KeyID == "" {
			return nil, errors.New("gateway key without key_id")
		}
		m[k.KeyID] = pub
	}
	return m, nil
}
