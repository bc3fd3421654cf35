// Package account holds the email accounts of paygate (MISSION K1): an email
// address and a password make an account. It registers accounts, activates
// them from a mailed link, logs them in with lock-out after repeated
// failures, resets forgotten passwords by mail, and keeps browser sessions
// in the database ([SessionStore], [NewSessionManager]) behind a
// cross-origin guard ([NewCSRF]). The pages that use it live in web/.
//
// Invariants:
//   - An email address (canonical form, [NormalizeEmail]) has at most one
//     account. An account is personal, or enterprise with a company name.
//   - Passwords are stored only as argon2id hashes; no other form of a
//     password is kept, logged or put in an error. [Account] carries no hash.
//   - A mailed link carries 32 random bytes; only their SHA-256 is stored.
//     A link works once, before it expires, and only for its purpose
//     (activation or reset). Asking for a new link voids the older unused ones.
//   - A link's email is enqueued ([Mailer]) in the transaction that stores
//     its token: both commit, or neither.
//   - Activation and the [OnActivateFunc] hook (the wallet turns claims for
//     the address into balance there) commit in one transaction.
//   - After [Options.MaxFailures] wrong passwords within
//     [Options.FailureWindow], the account is locked for
//     [Options.LockoutPeriod]. The counters are rows in the database, so the
//     lock holds across every instance that shares it.
//   - A password reset ends every session logged in to the account.
//   - A refused command changes nothing, except that a wrong password counts
//     towards the lock-out.
//
// Error codes: email_invalid, password_too_weak, password_too_long,
// account_kind_invalid, company_required, email_registered,
// activation_link_invalid, activation_link_expired, activation_link_used,
// reset_link_invalid, reset_link_expired, reset_link_used,
// credentials_invalid, account_locked, account_not_activated,
// account_not_found, cross_origin_request.
package account
