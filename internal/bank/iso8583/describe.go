package iso8583

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	moov "github.com/moov-io/iso8583"
	"github.com/moov-io/iso8583/field"
)

// Describe renders the message for logs and debugging with moov-io's
// describer (MTI, bitmap, one line per field), every field passed through
// the dialect's mask (see [Mask]): the PAN shows only its first 6 and last
// 4 digits, track 2 only its masked PAN, the PIN block and MACs only their
// length, field 48 has its key material starred out.
func Describe(m *Message) string {
	var b strings.Builder
	if m.MTI() != "" {
		_, _ = m.m.Pack() // refreshes the bitmap shown; errors are irrelevant here
	}
	if err := moov.Describe(m.m, &b, m.c.filters...); err != nil {
		fmt.Fprintf(&b, "(incomplete: %v)\n", err)
	}
	return b.String()
}

// String returns a one-line masked summary, "0200 2=476173******0119
// 3=000000 …". The value receiver makes fmt use it for Message values too,
// so that printing a message never dumps its fields.
func (m Message) String() string {
	var b strings.Builder
	mti := m.MTI()
	if mti == "" {
		mti = "????"
	}
	b.WriteString(mti)
	for _, id := range m.Fields() {
		fmt.Fprintf(&b, " %d=%s", id, m.masked(id))
	}
	return b.String()
}

// GoString implements fmt.GoStringer for %#v, masked like [Message.String].
func (m Message) GoString() string {
	return fmt.Sprintf("iso8583.Message{%s: %s}", m.d.Name, m.String())
}

// LogValue implements slog.LogValuer: a group with the dialect, the MTI
// and one masked attribute per field ("de2", "de3", …).
func (m Message) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("dialect", m.d.Name), slog.String("mti", m.MTI())}
	for _, id := range m.Fields() {
		attrs = append(attrs, slog.String("de"+strconv.Itoa(id), m.masked(id)))
	}
	return slog.GroupValue(attrs...)
}

func (m *Message) masked(id int) string {
	fs, ok := m.c.fields[id]
	if !ok {
		return "[unknown field]"
	}
	return maskValue(fs, m.Get(id))
}

// maskFilter adapts a field's mask to moov-io's describe filters.
func maskFilter(fs *FieldSpec) moov.FilterFunc {
	return func(in string, _ field.Field) string { return maskValue(fs, in) }
}

// maskValue applies the field's mask to its text form (hex for b fields).
func maskValue(fs *FieldSpec, v string) string {
	switch fs.mask() {
	case MaskPAN:
		return maskPAN(v)
	case MaskTrack2:
		if i := strings.IndexAny(v, "=D"); i >= 0 {
			return maskPAN(v[:i]) + "=" + strings.Repeat("*", len(v)-i-1)
		}
		return maskPAN(v)
	case MaskKeys:
		return maskHexRuns(v)
	case MaskHidden:
		if fs.Type == TypeB {
			return fmt.Sprintf("[%d bytes hidden]", len(v)/2)
		}
		return fmt.Sprintf("[%d chars hidden]", len(v))
	default:
		return v
	}
}

// maskPAN keeps the first 6 and last 4 characters of a PAN of 11 or more
// digits and stars out everything of shorter ones.
func maskPAN(pan string) string {
	if len(pan) < 11 {
		return strings.Repeat("*", len(pan))
	}
	return pan[:6] + strings.Repeat("*", len(pan)-10) + pan[len(pan)-4:]
}

// maskHexRuns replaces every run of 8 or more hex digits with stars.
func maskHexRuns(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); {
		j := i
		for j < len(b) && isHexDigit(b[j]) {
			j++
		}
		if j-i >= 8 {
			for k := i; k < j; k++ {
				b[k] = '*'
			}
		}
		if j == i {
			j++
		}
		i = j
	}
	return string(b)
}

func isHexDigit(ch byte) bool {
	return isDigit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')
}
