package auth

import "paygate/internal/errs"

// The errors of request verification. All are [errs.Unauthorized] (401);
// their codes are stable API error codes. Compare with errors.Is.
var (
	ErrSignatureMissing    = errs.E(errs.Unauthorized, "signature_missing", "The request is not signed: a Paygate-* signature header is missing.")
	ErrSignTypeUnsupported = errs.E(errs.Unauthorized, "sign_type_unsupported", "Paygate-Sign-Type must be RSA2 or ED25519.")
	ErrTimestampInvalid    = errs.E(errs.Unauthorized, "timestamp_invalid", "Paygate-Timestamp must be unix seconds.")
	ErrTimestampWindow     = errs.E(errs.Unauthorized, "timestamp_out_of_window", "Paygate-Timestamp is more than 300 seconds away from the gateway's clock.")
	ErrNonceInvalid        = errs.E(errs.Unauthorized, "nonce_invalid", "Paygate-Nonce must be 16 to 64 characters of A-Z, a-z, 0-9, '_' and '-'.")
	ErrMerchantInvalid     = errs.E(errs.Unauthorized, "merchant_invalid", "Paygate-Merchant is not a merchant id.")
	ErrUnknownMerchant     = errs.E(errs.Unauthorized, "unknown_merchant", "No such merchant, or it may not use the API.")
	ErrUnknownKey          = errs.E(errs.Unauthorized, "unknown_key", "The merchant has no registered key for this sign type or key id.")
	ErrKeyTooWeak          = errs.E(errs.Unauthorized, "key_too_weak", "The merchant's registered RSA key is shorter than 2048 bits; register a new key.")
	ErrSignatureInvalid    = errs.E(errs.Unauthorized, "signature_invalid", "The request signature does not verify.")
	ErrNonceReused         = errs.E(errs.Unauthorized, "nonce_reused", "This Paygate-Nonce was already used; sign every request with a fresh nonce.")
)

// unauthorized returns sentinel with a more specific message, keeping its
// kind and code.
func unauthorized(sentinel *errs.Error, message string) *errs.Error {
	return errs.E(sentinel.Kind, sentinel.Code, message)
}
