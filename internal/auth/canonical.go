package auth

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Header names of the signing scheme (DESIGN §4).
const (
	HeaderMerchant  = "Paygate-Merchant"
	HeaderTimestamp = "Paygate-Timestamp"
	HeaderNonce     = "Paygate-Nonce"
	HeaderSignType  = "Paygate-Sign-Type"
	HeaderSignature = "Paygate-Signature"
	HeaderKeyID     = "Paygate-Key-Id"
)

// Parameter names of signed return-URL parameters ([CanonicalReturn]).
const (
	ParamTimestamp = "timestamp"
	ParamNonce     = "nonce"
	ParamKeyID     = "key_id"
	ParamSign      = "sign"
)

// CanonicalRequest returns the string a merchant signs:
// METHOD "\n" PATH_AND_QUERY "\n" TIMESTAMP "\n" NONCE "\n" BODY "\n".
func CanonicalRequest(method, pathAndQuery, timestamp, nonce string, body []byte) []byte {
	b := make([]byte, 0, len(method)+len(pathAndQuery)+len(timestamp)+len(nonce)+len(body)+5)
	b = append(b, method...)
	b = append(b, '\n')
	b = append(b, pathAndQuery...)
	b = append(b, '\n')
	return appendTail(b, timestamp, nonce, body)
}

// CanonicalResponse returns the string the gateway signs in responses and
// notifications: TIMESTAMP "\n" NONCE "\n" BODY "\n".
func CanonicalResponse(timestamp, nonce string, body []byte) []byte {
	b := make([]byte, 0, len(timestamp)+len(nonce)+len(body)+3)
	return appendTail(b, timestamp, nonce, body)
}

func appendTail(b []byte, timestamp, nonce string, body []byte) []byte {
	b = append(b, timestamp...)
	b = append(b, '\n')
	b = append(b, nonce...)
	b = append(b, '\n')
	b = append(b, body...)
	return append(b, '\n')
}

// errRepeatedParam reports a return parameter given more than once.
var errRepeatedParam = errors.New("parameter repeated")

// CanonicalReturn returns the string the gateway signs for return-URL
// parameters: every parameter except "sign", sorted by key in byte order,
// as url.QueryEscape(key) "=" url.QueryEscape(value), joined by "&". A
// parameter given more than once is an error: its meaning would be
// ambiguous.
func CanonicalReturn(values url.Values) (string, error) {
	keys := make([]string, 0, len(values))
	for k, vs := range values {
		if k == ParamSign {
			continue
		}
		if len(vs) != 1 {
			return "", fmt.Errorf("return parameter %q: %w", k, errRepeatedParam)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(values[k][0]))
	}
	return b.String(), nil
}
