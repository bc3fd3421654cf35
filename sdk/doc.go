// Package sdk is the Go client of the paygate merchant API (v1). It signs
// every request with the merchant's private key, verifies every response
// and notification with the gateway's public keys, and offers typed methods
// for payments. It imports only the standard library.
//
// # Request signatures
//
// Every request carries:
//
//	Paygate-Merchant:  the merchant id (mch_…)
//	Paygate-Timestamp: unix seconds
//	Paygate-Nonce:     32 random characters of [A-Za-z0-9_-] (16–64 allowed)
//	Paygate-Sign-Type: RSA2 (SHA256withRSA, PKCS#1 v1.5, ≥2048 bit) | ED25519
//	Paygate-Signature: standard base64 (with padding) of the signature of
//	                   METHOD "\n" PATH_AND_QUERY "\n" TIMESTAMP "\n" NONCE "\n" BODY "\n"
//	Paygate-Key-Id:    optional ([WithKeyID]): which registered key signed
//
// PATH_AND_QUERY is the request target as sent ("/v1/payments?limit=10");
// BODY is the raw body, empty for GET. See [CanonicalRequest]. The gateway
// refuses a timestamp more than 300 s off and a nonce reused within 15
// minutes. Every POST also carries an Idempotency-Key: the same key with the
// same body replays the first response for 24 hours ([IdempotencyKey]).
//
// # Gateway signatures
//
// Every response and notification carries Paygate-Timestamp, Paygate-Nonce,
// Paygate-Key-Id and Paygate-Signature, the base64 signature of
// TIMESTAMP "\n" NONCE "\n" BODY "\n" ([CanonicalResponse]) by the gateway
// key with that id. The client fetches the gateway's public keys from
// GET /v1/gateway-keys, caches them, and refetches when it meets a new key
// id (at most every 30 s); or it uses only the keys given by
// [WithGatewayKeys]. A response that does not verify is an error
// ([ErrSignature]), never a result. Notifications are verified the same way
// by [Client.VerifyNotification]; they may arrive more than once, so apply
// them idempotently by event id.
//
// # Return-URL parameters
//
// The cashier sends the payer back to return_url with query parameters
// payment_id, merchant_order_no and status, plus timestamp, nonce, key_id
// and sign. sign is the base64 signature by gateway key key_id of
// [CanonicalReturn]: every parameter except sign, sorted by key in byte
// order, each as url.QueryEscape(key) "=" url.QueryEscape(value) (unreserved
// A-Z a-z 0-9 - _ . ~ kept, space as "+", the rest %XX upper-case), joined
// with "&"; a parameter may not repeat. [Client.VerifyReturn] checks it.
// The return page is only a hint for the payer's browser: the notification,
// or [Client.GetPayment], is the truth.
package sdk
