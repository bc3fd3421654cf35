package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MaxFrame is the largest message a 2-byte length header can announce.
const MaxFrame = 0xFFFF

// ErrFrame is wrapped by framing errors that are not plain I/O errors: an
// empty frame or a message too long for the header.
var ErrFrame = errors.New("wire: bad frame")

// WriteFrame writes msg preceded by its 2-byte big-endian length in a
// single Write call, so that concurrent writers on one connection (holding
// the caller's lock) never interleave a header with another message. It
// returns the number of bytes written, header included, so a caller can
// tell "nothing went out" (0) from a partial write.
func WriteFrame(w io.Writer, msg []byte) (int, error) {
	if len(msg) == 0 || len(msg) > MaxFrame {
		return 0, fmt.Errorf("%w: message of %d bytes (want 1–%d)", ErrFrame, len(msg), MaxFrame)
	}
	buf := make([]byte, 2+len(msg))
	binary.BigEndian.PutUint16(buf, uint16(len(msg)))
	copy(buf[2:], msg)
	n, err := w.Write(buf)
	if err != nil {
		return n, fmt.Errorf("wire: write frame: %w", err)
	}
	return n, nil
}

// ReadFrame reads one length-prefixed message. A zero length is an error
// wrapping [ErrFrame]; a stream that ends inside a frame is
// io.ErrUnexpectedEOF, one that ends between frames is io.EOF.
func ReadFrame(r io.Reader) ([]byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(hdr[:]))
	if n == 0 {
		return nil, fmt.Errorf("%w: zero length", ErrFrame)
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(r, msg); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return msg, nil
}
