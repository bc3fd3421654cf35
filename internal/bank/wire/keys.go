package wire

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"paygate/internal/bank/hsm"
)

// Tags of the field 48 key-exchange layout.
const (
	tagZPK = "ZPK"
	tagZAK = "ZAK"
)

// ErrKeyExchange is wrapped by [ParseKeyExchange] for a field 48 that is
// not in the key-exchange layout. Unwrapping failures (wrong ZMK, corrupt
// cryptogram) wrap hsm.ErrKCVMismatch instead.
var ErrKeyExchange = errors.New("wire: bad key-exchange field")

// WorkingKeys are the session keys a sign-on delivers: the zone PIN key
// that encrypts PIN blocks and the zone authentication key that MACs every
// message.
type WorkingKeys struct {
	ZPK hsm.Key
	ZAK hsm.Key
}

// FormatKeyExchange renders field 48 of the 0810 sign-on response (our
// dialect of PROTOCOLS.md §2.8): "ZPK" ‖ cryptogram ‖ KCV ‖ "ZAK" ‖
// cryptogram ‖ KCV, where each cryptogram is the working key encrypted
// under the ZMK ([hsm.WrapKey]) in upper-case hex (32 digits for a
// double-length TDES or AES-128 key) and each KCV is 6 hex digits of the
// clear key's check value.
func FormatKeyExchange(zmk hsm.Key, k WorkingKeys) (string, error) {
	var b strings.Builder
	for _, p := range []struct {
		tag string
		key hsm.Key
	}{{tagZPK, k.ZPK}, {tagZAK, k.ZAK}} {
		crypt, kcv, err := hsm.WrapKey(zmk, p.key)
		if err != nil {
			return "", fmt.Errorf("wire: wrap %s: %w", p.tag, err)
		}
		b.WriteString(p.tag)
		b.WriteString(strings.ToUpper(hex.EncodeToString(crypt)))
		b.WriteString(kcv)
	}
	return b.String(), nil
}

// ParseKeyExchange reads field 48 as written by [FormatKeyExchange],
// unwraps both keys under zmk and checks each against its KCV.
func ParseKeyExchange(zmk hsm.Key, field48 string) (WorkingKeys, error) {
	rest, ok := strings.CutPrefix(field48, tagZPK)
	if !ok {
		return WorkingKeys{}, fmt.Errorf("%w: does not start with %s", ErrKeyExchange, tagZPK)
	}
	zpkPart, zakPart, ok := strings.Cut(rest, tagZAK)
	if !ok {
		return WorkingKeys{}, fmt.Errorf("%w: no %s part", ErrKeyExchange, tagZAK)
	}
	zpk, err := unwrapPart(zmk, tagZPK, zpkPart)
	if err != nil {
		return WorkingKeys{}, err
	}
	zak, err := unwrapPart(zmk, tagZAK, zakPart)
	if err != nil {
		return WorkingKeys{}, err
	}
	return WorkingKeys{ZPK: zpk, ZAK: zak}, nil
}

func unwrapPart(zmk hsm.Key, tag, part string) (hsm.Key, error) {
	if len(part) <= 6 || (len(part)-6)%2 != 0 {
		return hsm.Key{}, fmt.Errorf("%w: %s part has %d characters", ErrKeyExchange, tag, len(part))
	}
	crypt, err := hex.DecodeString(part[:len(part)-6])
	if err != nil {
		return hsm.Key{}, fmt.Errorf("%w: %s cryptogram is not hex", ErrKeyExchange, tag)
	}
	k, err := hsm.UnwrapKey(zmk, crypt, part[len(part)-6:])
	if err != nil {
		return hsm.Key{}, fmt.Errorf("wire: unwrap %s: %w", tag, err)
	}
	return k, nil
}
