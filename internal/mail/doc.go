// Package mail sends paygate's emails — account activation, pay-to-email
// invitations, password resets — through an outbox, over SMTP, and shows
// them in a demo mailbox. It is the email sibling of package notify.
//
// A business command writes a [Message] with [Outbox.Enqueue] inside its
// own database transaction and calls [Dispatcher.Wake] after the commit. A
// [Dispatcher] (one per gateway instance) claims due messages and hands
// each to a [Transport]; [Sender] is the SMTP one, built on go-mail.
// [Outbox.Get] and [Outbox.List] read messages back, and [MailboxHandler]
// serves them as HTML for `paygate demo`.
//
// The package guarantees:
//
//   - Atomic enqueue: a message exists if and only if the caller's
//     transaction commits. Nothing is sent before the commit.
//   - Validated input: one bare recipient address (net/mail syntax), a
//     one-line subject and bounded bodies, else an [*InvalidMessageError]
//     (errors.Is [ErrInvalidMessage], kind errs.Invalid).
//   - At least once: a message stays pending until a server accepts it
//     (250 after DATA). A 4xx reply, a refused or dropped connection, a
//     timeout or a TLS failure is retried after 30 s, 2 m, 10 m, 1 h and 6 h
//     ([DefaultSchedule]); then the message is failed. A 5xx reply to RCPT
//     or DATA fails it at once: the server refused this message for good.
//     Every attempt sends the same Message-ID (<msg_…@from-domain>) and
//     Date, so a duplicate (an acceptance lost on the way back, a
//     dispatcher that died mid-session) can be recognised.
//   - No concurrent delivery: a dispatcher claims due rows in one
//     transaction (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has one
//     writer) and pushes their due time forward by a lease longer than the
//     SMTP timeout, so no other dispatcher claims them while the session
//     runs. Outcomes are fenced by a claim token; a stopped dispatcher hands
//     its in-flight messages back at once.
//   - State lives only in the database, so a restart loses nothing.
//   - Every attempt is logged in mail_attempts (number, start, SMTP reply
//     code, safe error text, duration). Error texts and log lines never hold
//     a password, a message body, the server's reply text or a full
//     recipient address (logs show a***@example.com).
//
// Time comes from the database handle's clock (db.Options.Clock): tests
// drive the schedule by advancing a fake clock and calling
// [Dispatcher.Wake] or [Dispatcher.DeliverDue].
package mail
