// Package accountweb serves the payer's 快钱 account pages under /account/
// (MISSION K1, K2, K4): registration (personal or enterprise), activation
// from the mailed link, log-in and log-out, password reset by mail, the
// balance with a filtered, paged history, a statement to download (CSV) or
// print, sending money to any email address, top-up from a bank card and
// withdrawal to one. Every page is Chinese or English (?lang=zh|en, else
// Accept-Language, else Chinese), plain html/template with one embedded
// stylesheet and one small script, no external asset.
//
// Security model:
//   - Sessions: scs sessions kept in the database ([account.SessionStore]),
//     cookie HttpOnly, SameSite=Lax, Secure with the __Host- prefix in
//     production. Log-in gives the session a new token (no fixation) and a
//     new form token. The logged-in account is only ever the session's: no
//     page, link or form carries an account id, so a request can see and
//     move only its own session's money.
//   - Cross-site request forgery, two independent layers on every POST:
//     the cross-origin check of [account.NewCSRF] (Sec-Fetch-Site/Origin),
//     and a synchronizer token: 32 random bytes kept in the session (made
//     when a form is first shown, for anonymous visitors too), sent in a
//     hidden field of every form and compared in constant time. A POST
//     without it, with another session's token, or from another site is
//     refused with a 403 page before any handler runs, so nothing changes.
//   - No PIN anywhere: the top-up PIN goes into [channel.Card] for one call
//     and is never logged, stored, or written back into a page; card
//     numbers are logged only masked. Passwords are never echoed either.
//   - GET changes nothing: an activation or reset link opens a page with a
//     button, and only its POST uses the token (mail scanners open links).
//     The only write on a GET is the anonymous session holding the form
//     token.
//   - Sending money, topping up and withdrawing are idempotent: each form
//     carries a key made when it is rendered, so submitting the same form
//     twice (a double click, a retry, another gateway instance) moves the
//     money once.
//   - Every response is no-store, with a self-only Content-Security-Policy,
//     nosniff, no-referrer (links carry tokens) and frame-ancestors 'none'.
//   - Bad input never panics or answers 500: it is shown on the form. A
//     service error shows its message in the page's language when there is
//     a translation for its code, else its English message; anything else
//     is logged and answered with a 500 page quoting the request id.
package accountweb
