// Package bank is the gateway's side of the bank links: one [Connector] per
// bank speaks that bank's ISO 8583 dialect over persistent TCP links, signs
// on to receive working keys, MACs every message, turns PINs into PIN
// blocks at once, and reports every money-moving request as approved,
// declined or unknown.
//
// Invariants this package guarantees:
//
//   - A request that moves money (debit, refund, credit) has its reversal
//     committed to the persistent queue (table bank_reversals) as
//     [ReversalArmed] before the first byte of the 0200 is written. A
//     definitive, MAC-verified answer deletes it; a request that never left
//     deletes it; an unknown outcome turns it [ReversalPending]. If the
//     process dies in between, the row stays armed and, once
//     RequestTimeout + ReversalGrace have passed, any connector of the bank
//     over the same database takes it for abandoned and sends it. So no
//     money-moving request is ever sent without its reversal on disk.
//   - A request whose answer is not known for certain — no response in
//     time, the link broke after the request went out, a response whose MAC
//     does not verify or that does not unpack — is [Unknown], never
//     approved; its reversal is pending before the caller hears "unknown",
//     and the reversal worker sends it as 0420, then 0421, until a 0430
//     arrives; it then ends [ReversalReversed]. An approval whose armed
//     reversal cannot be deleted (or was already taken over) is reported
//     [Unknown] too, and reversed.
//   - A late approval — a 0210 for a request that already timed out — is
//     never taken as paid: it reaches only the unmatched-reply path, which
//     logs it and makes sure its reversal is queued.
//   - A request that never left the process (no link signed on, invalid
//     input) returns an error and no [Result]: nothing happened at the bank.
//   - Every message after sign-on carries a MAC (field 64, or 128 with a
//     secondary bitmap) under the link's ZAK, and every message received is
//     unpacked strictly and its MAC verified before it is believed. The
//     0800 sign-on request carries no MAC (no working key exists yet); its
//     0810 answer is MACed under the new ZAK it delivers, and the link is
//     used only after a MACed echo proves both ends hold the same keys.
//   - The clear PIN is used once, to build the ISO 9564 format 0 PIN block
//     under the link's ZPK, and is never stored, logged or put in an error.
//     Full PANs are never logged or stored (the reversal queue finds the
//     original by field 90); logs show PANs masked 6+4.
//   - Every goroutine belongs to the Connector: [Connector.Start] starts
//     them and [Connector.Stop] (idempotent) stops them and waits.
//
// Matching: requests on one link are matched to responses by STAN (field
// 11), which the connector allocates from 000001–999999, wrapping, so that
// thousands of requests can be in flight on one link.
package bank
