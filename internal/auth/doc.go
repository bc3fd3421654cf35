// Package auth authenticates merchants' API requests and signs what the
// gateway sends back: responses, notifications and return-URL parameters.
// It implements DESIGN §4 exactly.
//
// # Merchant request signatures
//
// Every merchant request carries these headers:
//
//	Paygate-Merchant:  the merchant id (mch_…)
//	Paygate-Timestamp: unix seconds, decimal
//	Paygate-Nonce:     16–64 characters of [A-Za-z0-9_-]
//	Paygate-Sign-Type: RSA2 (SHA256withRSA, PKCS#1 v1.5, ≥2048 bit) | ED25519
//	Paygate-Signature: standard base64 (with padding) of the signature of
//	                   METHOD "\n" PATH_AND_QUERY "\n" TIMESTAMP "\n" NONCE "\n" BODY "\n"
//	Paygate-Key-Id:    optional: which of the merchant's registered keys signed
//
// PATH_AND_QUERY is the request target exactly as sent on the wire (for
// example "/v1/payments?merchant_order_no=A1"); BODY is the raw body bytes
// (empty for GET). Without Paygate-Key-Id, every registered key of the sign
// type is tried. [CanonicalRequest] builds the signed string.
//
// [Verifier.Verify] guarantees:
//
//   - Every failure is an *[errs.Error] of kind [errs.Unauthorized] with one
//     of the stable codes below, except a failing key lookup or nonce store,
//     which is returned wrapped (a 500, not a 401).
//   - Nothing is written unless the signature verifies: the nonce is recorded
//     only after the signature, the timestamp window and the key have been
//     checked, so forged requests cannot burn a merchant's nonces.
//   - A nonce is accepted at most once per merchant within [NonceTTL], across
//     every instance sharing the database (a primary key decides, in its own
//     small transaction). Because [NonceTTL] ≥ 2 × [TimestampWindow], a
//     request replayed after its nonce expired is already outside the
//     timestamp window: no signed request is ever accepted twice.
//   - RSA keys shorter than 2048 bits are never used.
//
// Codes: signature_missing, sign_type_unsupported, timestamp_invalid,
// timestamp_out_of_window, nonce_invalid, merchant_invalid, unknown_merchant,
// unknown_key, key_too_weak, signature_invalid, nonce_reused.
//
// # Gateway signatures
//
// The gateway signs every response and notification with its own key:
//
//	Paygate-Timestamp, Paygate-Nonce, Paygate-Key-Id,
//	Paygate-Signature: base64 signature of TIMESTAMP "\n" NONCE "\n" BODY "\n"
//
// ([CanonicalResponse]). Gateway keys are Ed25519 (default) or RSA-2048
// files, DIR/gateway-<keyid>.pem, mode 0600, generated on first use and never
// compiled in. The key id is the first 16 hex digits of the SHA-256 of the
// public key's SPKI DER, so every instance sharing the files agrees on it.
// Several keys may exist; the newest one that is active signs, and all are
// published ([GatewayKeys.PublicKeys]) so merchants verify by key id.
//
// # Return-URL parameters
//
// When the cashier sends the payer back to the merchant's return_url it adds
// query parameters (payment_id, merchant_order_no, status, …, timestamp,
// nonce, key_id) and "sign", the base64 signature of [CanonicalReturn]: every
// parameter except "sign", keys sorted by byte order, each key and value
// form-encoded (url.QueryEscape: unreserved characters A-Z a-z 0-9 - _ . ~
// kept, space as "+", everything else %XX in upper-case hex), joined as
// k=v&k=v. A parameter may appear only once. The merchant SDK (paygate/sdk)
// carries the same functions; a test keeps the two in step.
package auth
