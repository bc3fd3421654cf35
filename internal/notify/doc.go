// Package notify is the merchant notification outbox (the seed's 转账通知,
// DESIGN §4): events that tell a merchant's server that a payment, refund or
// other object changed, delivered as signed HTTP POSTs to its notify URL.
//
// The payment service writes an event with [Outbox.Enqueue] inside the same
// database transaction as the state change it announces, and calls
// [Dispatcher.Wake] after the commit. A [Dispatcher] (one per gateway
// instance) claims due events and POSTs them; [Outbox.Resend] makes a failed
// or delivered event due again; [Outbox.Get] and [Outbox.List] read events
// with their attempt log.
//
// The package guarantees:
//
//   - Atomic enqueue: an event exists if and only if the caller's
//     transaction commits. Nothing is sent before the commit.
//   - Fixed bytes: the body {"id","type","created_at","data"} is built once, at
//     enqueue, and stored; every attempt sends exactly those bytes, freshly
//     signed (Paygate-Timestamp, -Nonce, -Key-Id, -Signature by the injected
//     [Signer]) with Content-Type: application/json.
//   - At least once: an event stays pending until one attempt gets a 2xx
//     answer within the timeout (10 s by default); otherwise it is retried
//     after 15 s, 1 m, 5 m, 15 m, 1 h, 2 h, 6 h, 12 h and 24 h
//     ([DefaultSchedule]), then marked failed and kept for a manual resend.
//     A merchant may see an event twice (a 2xx lost on the way back, a
//     dispatcher that died mid-request) and must apply it idempotently by id.
//   - No concurrent delivery: a dispatcher claims due rows in one
//     transaction (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has one
//     writer) and pushes their due time forward by a lease longer than the
//     request timeout, so no other dispatcher, here or on another instance,
//     claims them while the request is in flight. Outcomes are fenced by a
//     claim token: a dispatcher that outlived its lease cannot reschedule an
//     event someone else now holds.
//   - Nothing skipped: every pending event is due at some time and is
//     claimed when it is due, whichever instance is alive; a crashed
//     dispatcher's events become due again when its lease runs out, and a
//     stopped dispatcher hands back its in-flight events at once.
//   - Every attempt is logged (notify_attempts: number, start, HTTP status
//     or a safe error text, duration). Error texts never hold the URL, the
//     response body or any other text chosen by the receiver.
//   - State lives only in the database, so a restart loses nothing.
//
// Time comes from the database handle's clock (db.Options.Clock): the due
// times written by Enqueue and by the dispatcher share one source, and tests
// drive the schedule by advancing a fake clock and calling
// [Dispatcher.Wake] or [Dispatcher.DeliverDue].
package notify
