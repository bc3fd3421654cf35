package iso8583

import (
	"errors"
	"fmt"
)

var (
	// ErrMalformed matches every error returned by [Unpack] and [MAB] for
	// bytes that are not exactly one valid message of the dialect. Use
	// errors.As with [*MalformedError] for the field and offset.
	ErrMalformed = errors.New("iso8583: malformed message")

	// ErrTrailingBytes is the cause inside a [*MalformedError] when a
	// complete message is followed by more bytes.
	ErrTrailingBytes = errors.New("trailing bytes after message")

	// ErrUnknownDialect is returned by [Lookup] for a name that is not built in.
	ErrUnknownDialect = errors.New("iso8583: unknown dialect")

	// ErrInvalidDialect is wrapped by every dialect validation error
	// ([ParseDialect], [Dialect.Validate], [Dialect.Spec]).
	ErrInvalidDialect = errors.New("iso8583: invalid dialect")

	// ErrUnknownField is returned when a field number is not in the dialect.
	ErrUnknownField = errors.New("iso8583: field not in dialect")

	// ErrInvalidValue is returned when a value does not fit its field
	// (character class, length, currency). The error never quotes the value.
	ErrInvalidValue = errors.New("iso8583: invalid field value")

	// ErrNoMAC is returned by [MAB] and [Seal] when a message has no usable
	// MAC field (64 or 128, fixed binary, 8 bytes).
	ErrNoMAC = errors.New("iso8583: no MAC field")
)

// MalformedError describes why bytes could not be unpacked. It matches
// [ErrMalformed] with errors.Is and unwraps to its cause.
type MalformedError struct {
	// Field is the data element being read: 0 for the MTI, 1 for the
	// bitmap(s), 2–128 for a data element, -1 for the message as a whole
	// (for example trailing bytes).
	Field int
	// Offset is the byte offset where that element starts.
	Offset int
	// Err is the cause. It never contains field values.
	Err error
}

// Error implements error.
func (e *MalformedError) Error() string {
	where := "message"
	switch {
	case e.Field == 0:
		where = "MTI"
	case e.Field == 1:
		where = "bitmap"
	case e.Field > 1:
		where = fmt.Sprintf("field %d", e.Field)
	}
	return fmt.Sprintf("iso8583: malformed message: %s at offset %d: %v", where, e.Offset, e.Err)
}

// Is reports whether target is [ErrMalformed].
func (e *MalformedError) Is(target error) bool { return target == ErrMalformed }

// Unwrap returns the cause.
func (e *MalformedError) Unwrap() error { return e.Err }
