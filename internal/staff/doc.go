// Package staff holds the merchant's staff: the people who log in to the
// merchant portal (web/portal) for one merchant, each with a [Role] that
// decides what they may do there.
//
// Invariants:
//   - A staff member belongs to exactly one merchant for good; everything
//     the portal shows or changes is scoped to that merchant.
//   - The email (canonical form, as account.NormalizeEmail) is the login
//     and is unique across merchants.
//   - Only an argon2id hash of the password is stored; passwords follow
//     the account rules (account.CheckPassword) and never reach a log.
//   - Log-in locks out after [Options.MaxFailures] wrong passwords within
//     [Options.FailureWindow], for [Options.LockoutPeriod]; while locked,
//     passwords are not even checked. The counters are rows in the
//     database, so the lock holds on every instance sharing it. An unknown
//     address costs a hash like a known one.
//   - What a role may do is one table ([Role.Can]): admin everything;
//     finance refunds, refund sheets, exports and notification resends but
//     no key or settings changes; viewer read only (search, detail,
//     export).
//
// Error codes: credentials_invalid (account.ErrBadCredentials),
// staff_locked, staff_not_found, staff_email_taken, staff_role_invalid,
// staff_forbidden, email_invalid, password_too_weak, password_too_long,
// merchant_not_found.
package staff
