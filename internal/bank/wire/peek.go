package wire

import (
	moov "github.com/moov-io/iso8583"

	"paygate/internal/bank/iso8583"
)

// Peek is a lenient, best-effort read of the MTI and STAN of bytes that
// failed strict unpacking ([iso8583.Unpack]), so that the receiver can still
// answer a malformed request with response code 30 or fail the one request
// a malformed response belongs to, instead of leaving it to time out. It
// uses moov-io's tolerant unpacking (which ignores, for example, trailing
// bytes) and never panics; ok is false when nothing usable was found. The
// values must only be used to route the rejection, never trusted otherwise.
func Peek(d *iso8583.Dialect, raw []byte) (mti, stan string, ok bool) {
	defer func() {
		if recover() != nil {
			mti, stan, ok = "", "", false
		}
	}()
	spec, err := d.Spec()
	if err != nil {
		return "", "", false
	}
	m := moov.NewMessage(spec)
	_ = m.Unpack(raw) // partial results are what we are after
	mti, _ = m.GetMTI()
	f, present := m.GetFields()[iso8583.FieldSTAN]
	if !present {
		return mti, "", false
	}
	stan, _ = f.String()
	if len(mti) != 4 || len(stan) != 6 || !digits(mti) || !digits(stan) {
		return "", "", false
	}
	return mti, stan, true
}
