// Package portal serves the merchant portal under /portal/ (MISSION F2,
// F3, K8): merchant staff log in (roles admin, finance, viewer: see
// package staff) and search their merchant's payments (date range,
// status, order number, amount, method) with cursor paging and exports to
// CSV and XLSX; open a payment with its attempts (card numbers masked),
// refunds and notifications, resend a notification, refund it; manage the
// merchant's public keys and see the gateway's; set the default notify
// URL; and refund in bulk from a refund sheet: download the template,
// upload it, read the line-by-line report (nothing moves), confirm, watch
// each line's status live, download the results. Every page is Chinese or
// English (?lang=zh|en, else Accept-Language, else Chinese), plain
// html/template with one stylesheet and one small script, no external
// asset; every page works without script.
//
// Security model:
//   - Sessions: scs sessions in the shared sessions table under the
//     portal's own cookie ([SessionCookieName]: HttpOnly, SameSite=Lax,
//     Secure with the __Host- prefix when the public URL is https). Log-in
//     renews the session token (no fixation) and the form token. The
//     session holds only the staff id; the staff member and their role are
//     read again on every request.
//   - One merchant: every read and write goes through a service call
//     scoped to the staff member's merchant. An id of another merchant's
//     payment, refund sheet or notification in a URL or form answers 404,
//     exactly like an id that does not exist; searches and exports never
//     hold another merchant's payment.
//   - Roles: every route names the action it needs (routes.go); a role
//     that lacks it gets a 403 page before the handler runs, so a viewer
//     cannot refund, upload or confirm a sheet, resend, or change keys or
//     settings, whatever it sends. Pages show only the forms the role may
//     use.
//   - Cross-site request forgery, two layers on every POST: the
//     cross-origin check (Sec-Fetch-Site/Origin) and the session's form
//     token ([ui.FormTokens]) in every form, multipart uploads included.
//   - Money: refunds are idempotent (a form sent twice refunds once: the
//     form carries a key that becomes the refund number when none is
//     typed); amounts are typed in major units and parsed exactly to minor
//     units; exports write amounts from minor units, never through floats.
//   - Every response is no-store, with a self-only Content-Security-Policy,
//     nosniff, no-referrer and frame-ancestors 'none'. Passwords and card
//     numbers never reach a log; attempts show only masked card numbers.
//   - Bad input never answers 500: it is shown on the form. Service errors
//     show their message in the page's language when there is a
//     translation for their code, else their English message; anything
//     else is logged and answered with a 500 page quoting the request id.
package portal
