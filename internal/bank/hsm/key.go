package hsm

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/subtle"
	"encoding"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Key is a clear secret key together with its [Kind]. The zero Key is
// invalid. A Key is immutable and safe to copy and share between goroutines.
//
// A Key never reveals its bytes: every fmt verb prints [Key.String]
// ("key(kcv=08D7B4)"), slog prints [Key.LogValue], JSON and text marshal to
// the same masked form, and a Key nested in another struct prints as a
// pointer, because the material sits behind one.
type Key struct {
	m *keyMaterial
}

type keyMaterial struct {
	kind Kind
	b    []byte // len == kind.Size(); never modified after construction
}

var (
	_ fmt.Stringer             = Key{}
	_ fmt.Formatter            = Key{}
	_ slog.LogValuer           = Key{}
	_ encoding.TextMarshaler   = Key{}
	_ encoding.TextUnmarshaler = (*Key)(nil)
)

// ParseKey parses a clear key written in hex (either case), optionally
// prefixed by its family: "tdes:", "aes:" or "des:". Without a prefix, 16 and
// 24 bytes are TDES ([TDES2], [TDES3]) — the bank link's default — and 32
// bytes are [AES256]; AES-128 and AES-192 keys need the "aes:" prefix, and a
// single-length DES key needs "des:". DES parity is not checked.
//
// Errors wrap [ErrInvalidKey] and never quote the input.
func ParseKey(s string) (Key, error) {
	family, h := "", s
	if i := strings.IndexByte(s, ':'); i >= 0 {
		family, h = strings.ToLower(s[:i]), s[i+1:]
	}
	for i := 0; i < len(h); i++ {
		if !isHexDigit(h[i]) {
			return Key{}, fmt.Errorf("%w: non-hex character at position %d", ErrInvalidKey, i)
		}
	}
	if len(h)%2 != 0 {
		return Key{}, fmt.Errorf("%w: odd number of hex digits (%d)", ErrInvalidKey, len(h))
	}
	kind, err := kindFor(family, len(h)/2)
	if err != nil {
		return Key{}, err
	}
	b := make([]byte, len(h)/2)
	_, _ = hex.Decode(b, []byte(h)) // checked above
	return Key{&keyMaterial{kind: kind, b: b}}, nil
}

// familyKinds lists, per ParseKey prefix, the kinds it may yield.
var familyKinds = map[string][]Kind{
	"":     {TDES2, TDES3, AES256},
	"tdes": {TDES2, TDES3},
	"aes":  {AES128, AES192, AES256},
	"des":  {DES},
}

func kindFor(family string, n int) (Kind, error) {
	kinds, ok := familyKinds[family]
	if !ok {
		return 0, fmt.Errorf("%w: unknown key prefix (want tdes:, aes: or des:)", ErrInvalidKey)
	}
	for _, k := range kinds {
		if k.Size() == n {
			return k, nil
		}
	}
	return 0, fmt.Errorf("%w: unsupported length %d bytes", ErrInvalidKey, n)
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// KeyFromBytes returns a Key of the given kind holding a copy of b, which
// must be exactly kind.Size() bytes long. Errors wrap [ErrInvalidKey].
func KeyFromBytes(kind Kind, b []byte) (Key, error) {
	if !kind.valid() {
		return Key{}, fmt.Errorf("%w: invalid kind", ErrInvalidKey)
	}
	if len(b) != kind.Size() {
		return Key{}, fmt.Errorf("%w: %s key needs %d bytes, got %d", ErrInvalidKey, kind, kind.Size(), len(b))
	}
	return Key{&keyMaterial{kind: kind, b: append([]byte(nil), b...)}}, nil
}

// Kind returns the key's kind; 0 (invalid) for the zero Key.
func (k Key) Kind() Kind {
	if k.m == nil {
		return 0
	}
	return k.m.kind
}

// Valid reports whether k holds a key (it is not the zero Key).
func (k Key) Valid() bool { return k.m != nil }

// Equal reports whether k and o have the same kind and bytes, comparing the
// bytes in constant time.
func (k Key) Equal(o Key) bool {
	if k.m == nil || o.m == nil {
		return k.m == o.m
	}
	return k.m.kind == o.m.kind && subtle.ConstantTimeCompare(k.m.b, o.m.b) == 1
}

// KCV returns the key check value as 6 upper-case hex digits (PROTOCOLS.md
// §2.8): for DES and TDES the leftmost 3 bytes of the encryption of 8 zero
// bytes; for AES the leftmost 3 bytes of the AES-CMAC of 16 zero bytes. It
// returns "" for the zero Key.
func (k Key) KCV() string {
	if k.m == nil {
		return ""
	}
	if k.m.kind.isAES() {
		mac := cmac(k.block(), make([]byte, aes.BlockSize))
		return strings.ToUpper(hex.EncodeToString(mac[:3]))
	}
	return k.KCVECB()
}

// KCVECB returns the check value by the encrypt-zeros method for every kind:
// the leftmost 3 bytes of one block of zeros encrypted under the key. For DES
// and TDES it equals [Key.KCV]; for AES it is the legacy alternative to the
// CMAC method. It returns "" for the zero Key.
func (k Key) KCVECB() string {
	if k.m == nil {
		return ""
	}
	b := k.block()
	out := make([]byte, b.BlockSize())
	b.Encrypt(out, out)
	return strings.ToUpper(hex.EncodeToString(out[:3]))
}

// String returns "key(kcv=XXXXXX)", or "key(none)" for the zero Key. It never
// contains key material.
func (k Key) String() string {
	if k.m == nil {
		return "key(none)"
	}
	return "key(kcv=" + k.KCV() + ")"
}

// Format implements [fmt.Formatter] so that every verb (%v, %+v, %#v, %s,
// %x, %d, …) prints [Key.String] and never the bytes.
func (k Key) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// LogValue implements [slog.LogValuer]: a group with the key's kind and KCV.
func (k Key) LogValue() slog.Value {
	if k.m == nil {
		return slog.StringValue("key(none)")
	}
	return slog.GroupValue(slog.String("kind", k.m.kind.String()), slog.String("kcv", k.KCV()))
}

// MarshalText returns the masked form [Key.String], so that a configuration
// dumped as JSON or text shows keys by check value. It is deliberately not
// the inverse of [Key.UnmarshalText]: keys cannot be exported this way.
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses text with [ParseKey], so a Key can be a field of a
// configuration struct decoded from the environment, JSON or flags.
func (k *Key) UnmarshalText(text []byte) error {
	p, err := ParseKey(string(text))
	if err != nil {
		return err
	}
	*k = p
	return nil
}

// block returns the key's block cipher: DES, TDES (K1,K2,K1 for double
// length) or AES. It must not be called on the zero Key.
func (k Key) block() cipher.Block {
	var (
		b   cipher.Block
		err error
	)
	switch m := k.m; {
	case m.kind == DES:
		b, err = des.NewCipher(m.b)
	case m.kind == TDES2:
		b, err = des.NewTripleDESCipher(append(append(make([]byte, 0, 24), m.b...), m.b[:8]...))
	case m.kind == TDES3:
		b, err = des.NewTripleDESCipher(m.b)
	default:
		b, err = aes.NewCipher(m.b)
	}
	if err != nil {
		panic("hsm: cipher for validated key: " + err.Error()) // unreachable: lengths are checked on construction
	}
	return b
}

// need returns nil if k is a valid key accepted by ok, else an error
// wrapping [ErrInvalidKey] (zero Key) or [ErrKeyKind] naming op.
func (k Key) need(op string, ok func(Kind) bool) error {
	if k.m == nil {
		return fmt.Errorf("%w: %s: no key", ErrInvalidKey, op)
	}
	if !ok(k.m.kind) {
		return fmt.Errorf("%w: %s does not accept a %s key", ErrKeyKind, op, k.m.kind)
	}
	return nil
}
