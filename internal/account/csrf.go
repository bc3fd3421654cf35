package account

import (
	"fmt"
	"net/http"
)

// NewCSRF returns middleware that refuses cross-origin state-changing
// requests, built on [http.CrossOriginProtection]: a POST, PUT, PATCH or
// DELETE is refused when the browser says it came from another site
// (Sec-Fetch-Site other than same-origin or none), or, from browsers that
// do not send Sec-Fetch-Site, when its Origin header names another host.
// GET, HEAD and OPTIONS pass: they must not change state. trustedOrigins
// ("https://shop.example") are let through; deny answers refusals (nil: a
// plain 403 with [ErrCrossOrigin]'s message).
//
// What it stops: a forged request is one a victim's browser sends to us
// from another site, carrying the victim's cookie. Every browser in use
// sends Sec-Fetch-Site (since 2023) or at least Origin on such a POST, and
// neither can be set by page script, so the check recognises every
// cross-site form post or fetch; requests with neither header come from
// non-browser clients, which hold no victim's cookie. The session cookie is
// SameSite=Lax, a further layer: browsers do not attach it to cross-site
// POSTs at all. This needs HTTPS in production (Secure cookies) and that
// GET handlers change nothing.
//
// It is not the only layer where a session holds money: the account pages
// (web/accountweb) also use a synchronizer token, a random value kept in
// the session, sent in a hidden field of every form and compared in
// constant time, so that a form works only with the session that made it —
// a defence that does not depend on browsers' headers, and that ties a
// form to its session (another account's cookie with this form is
// refused). The price is an occasional "form expired" page after a
// session ends, which those pages explain.
func NewCSRF(trustedOrigins []string, deny http.Handler) (func(http.Handler) http.Handler, error) {
	p := http.NewCrossOriginProtection()
	for _, o := range trustedOrigins {
		if err := p.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("csrf trusted origin %q: %w", o, err)
		}
	}
	if deny == nil {
		deny = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, ErrCrossOrigin.Message, ErrCrossOrigin.Kind.HTTPStatus())
		})
	}
	p.SetDenyHandler(deny)
	return p.Handler, nil
}
