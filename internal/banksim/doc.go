// Package banksim simulates the bank hosts the gateway talks to (DESIGN §5):
// one TCP listener per bank, each speaking that bank's ISO 8583 dialect
// (icbc, cmb, intl) with the same framing, sign-on key exchange, MACs and
// PIN blocks as the gateway's connectors in internal/bank, but from the
// bank's side. It ships the test cards of DESIGN §5 ([TestCards]) with
// their balances, PINs, limits and behaviours, keeps cards, balances and
// transactions in its own SQLite file, answers reversals idempotently,
// injects faults on demand ([Faults]) and writes a daily settlement file
// per bank (docs/settlement-file.md).
//
// Invariants:
//
//   - Every request but the 0800 sign-on must carry a valid MAC under the
//     session's ZAK; otherwise the answer is response code A0 and nothing
//     moves. A PIN block that does not decrypt under the session's ZPK is
//     answered 63 (security violation); a wrong PIN 55. A message that does
//     not unpack is answered 30 (format error) when its MTI and STAN can be
//     read, else dropped. Such messages are logged masked: no PAN, PIN
//     block or key material reaches the log.
//   - A balance changes only in the same transaction that records the
//     approved request that changes it. A reversal restores the balance of
//     an approved original exactly once, however often it is repeated, and
//     is acknowledged (0430) even when there is nothing to reverse; an
//     original that arrives after its reversal is refused.
//   - Faults (dropped, duplicated, delayed, corrupted responses) touch
//     financial and reversal responses only, never the sign-on or echo, and
//     never change what was processed: a dropped response's request still
//     happened. Fault decisions come from a seeded generator.
//   - Working keys are per TCP session: each sign-on issues fresh ones.
//
// PINs are held only as salted SHA-256 hashes (a PIN verification value),
// never in clear.
package banksim
