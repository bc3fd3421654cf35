// Package iso8583 describes the ISO 8583:1987 wire formats spoken by the
// bank links as data, and packs and unpacks messages in those formats with
// github.com/moov-io/iso8583.
//
// A [Dialect] is a JSON-loadable description of one bank's format: how the
// MTI, the bitmaps, numeric fields and length prefixes are encoded, and a
// table of data elements (type, length, fixed or LLVAR/LLLVAR, padding).
// [Dialect.Spec] turns it into a moov-io *iso8583.MessageSpec. Three dialects
// are built in ([Lookup], [Names]): "icbc" (BCD, UnionPay style), "cmb"
// (ASCII with a binary bitmap, PROTOCOLS.md §2.5) and "intl" (ASCII with a
// hex bitmap, several currencies). There is no per-bank code: a new bank is
// a new JSON file ([ParseDialect]).
//
// Invariants this package guarantees:
//
//   - [Unpack] accepts exactly one whole message: truncated input, trailing
//     bytes, fields missing from the dialect, values of the wrong character
//     class and anything that makes the codec panic are reported as an error
//     matching [ErrMalformed] (a [*MalformedError]), never as a panic.
//   - Values read back with [Message.Get] after [Message.Set] are the same as
//     those read after a [Pack]/[Unpack] round trip: fixed numeric fields are
//     zero-padded to their full width when set, fixed text fields lose their
//     trailing pad spaces.
//   - The MAC (field 64, or 128 when a secondary bitmap is present) is a raw
//     8-byte field and always the last one, so the MAC input block is the
//     packed message minus its last 8 bytes ([Seal], [MAB]).
//   - [Describe], [Message.String] and [Message.LogValue] never show a PAN,
//     track data, PIN block, MAC or key material in clear, and no error
//     returned by this package contains a field value.
//
// Framing (the 2-byte length header) and connection management are not here;
// they belong to the bank package.
package iso8583
