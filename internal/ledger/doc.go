// Package ledger is paygate's double-entry book: the only code that changes a
// balance.
//
// Every money movement is one [Entry] of [Posting]s. The package guarantees:
//
//   - An entry's postings sum to zero in every currency, or nothing is written
//     ([ErrUnbalanced]).
//   - A posting's currency is its account's currency ([ErrCurrencyMismatch]).
//   - An account that forbids it never goes below zero, even under concurrent
//     posting from many goroutines and processes ([ErrInsufficientFunds]).
//   - Posting is atomic: all of an entry's postings and balance changes commit
//     together with the caller's transaction, or none do.
//   - Posting is idempotent by [Entry.Key]: the same key with the same content
//     posts once and later calls return the first result; the same key with
//     other content is refused ([ErrKeyReused]).
//   - Entries and postings are never updated or deleted; a correction is a new
//     entry. Each entry stores a hash of its content so that [Ledger.Check]
//     proves every balance equals the sum of its postings, every entry
//     balances, no posting was altered, and the books sum to zero.
//
// Balances are updated in account-name order within a transaction, so
// concurrent entries never deadlock on PostgreSQL; on SQLite writers are
// serialized by [db.DB].
package ledger
