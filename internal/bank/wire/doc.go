// Package wire holds the conventions of the bank link that sit above the
// ISO 8583 codec and that both ends — the gateway's connectors
// (internal/bank) and the bank-host simulator (internal/banksim) — must
// agree on byte for byte:
//
//   - framing: every message on TCP is preceded by a 2-byte big-endian
//     length of the message ([WriteFrame], [ReadFrame]; PROTOCOLS.md §2.6);
//   - the field 48 key-exchange layout of the 0810 sign-on response
//     ([FormatKeyExchange], [ParseKeyExchange]; PROTOCOLS.md §2.8);
//   - the field 90 original-data layout of reversals and refunds
//     ([OriginalData]; PROTOCOLS.md §2.3, §2.12);
//   - MAC sealing and verification of packed messages ([Seal], [VerifyMAC]).
//
// Nothing here logs, and no error carries key material, a PAN or a PIN.
package wire
