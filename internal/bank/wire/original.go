package wire

import (
	"errors"
	"fmt"
	"strings"
)

// ErrOriginalData is wrapped by [ParseOriginalData] for a malformed field 90.
var ErrOriginalData = errors.New("wire: bad original data elements")

// OriginalData is field 90 (n42) of a reversal advice or a refund: the keys
// of the original request (PROTOCOLS.md §2.3, §2.12).
type OriginalData struct {
	MTI              string // n4, e.g. "0200"
	STAN             string // n6, field 11 of the original
	TransmissionTime string // n10 MMDDhhmmss, field 7 of the original
	AcquirerID       string // n..11, field 32 of the original; zero-filled on the left to 11
	ForwarderID      string // n..11, forwarding institution; zero-filled to 11 (zeros when none)
}

// Format renders the 42 digits: MTI ‖ STAN ‖ DE7 ‖ acquirer(11) ‖ forwarder(11).
func (o OriginalData) Format() (string, error) {
	parts := []struct {
		name  string
		value string
		width int
		pad   bool
	}{
		{"MTI", o.MTI, 4, false},
		{"STAN", o.STAN, 6, false},
		{"transmission time", o.TransmissionTime, 10, false},
		{"acquirer id", o.AcquirerID, 11, true},
		{"forwarder id", o.ForwarderID, 11, true},
	}
	var b strings.Builder
	for _, p := range parts {
		v := p.value
		if p.pad && len(v) < p.width {
			v = strings.Repeat("0", p.width-len(v)) + v
		}
		if len(v) != p.width || !digits(v) {
			return "", fmt.Errorf("%w: %s must be %d digits", ErrOriginalData, p.name, p.width)
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// ParseOriginalData splits field 90. The acquirer and forwarder ids are
// returned as sent (11 digits, zero-filled).
func ParseOriginalData(s string) (OriginalData, error) {
	if len(s) != 42 || !digits(s) {
		return OriginalData{}, fmt.Errorf("%w: want 42 digits, got %d characters", ErrOriginalData, len(s))
	}
	return OriginalData{MTI: s[:4], STAN: s[4:10], TransmissionTime: s[10:20], AcquirerID: s[20:31], ForwarderID: s[31:42]}, nil
}

// PadID zero-fills an institution id on the left to 11 digits, the form
// it takes in field 90, so ids from field 32 and field 90 compare equal.
func PadID(id string) string {
	if len(id) >= 11 {
		return id
	}
	return strings.Repeat("0", 11-len(id)) + id
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
