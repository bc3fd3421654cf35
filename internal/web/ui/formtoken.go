package ui

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"log/slog"
	"mime"
	"net/http"
)

// NewSecret returns 32 random bytes, base64url: form tokens, idempotency
// keys of forms.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// FormSession is what [FormTokens] needs of a session manager (an
// *scs.SessionManager has it): a value of the request's session, read and
// stored. ctx comes from a request inside the manager's LoadAndSave.
type FormSession interface {
	GetString(ctx context.Context, key string) string
	Put(ctx context.Context, key string, val any)
}

// Defaults of [FormTokens].
const (
	FormTokenField      = "csrf_token" // the hidden field of every form
	FormTokenKey        = "form_token" // the session key
	DefaultMaxFormBytes = 16 << 10     // a url-encoded form's size bound
)

// FormTokens is the synchronizer-token defence against cross-site request
// forgery of the session pages (account pages, merchant portal): a random
// token kept in the session, made when a form is first shown (for
// anonymous visitors too: a log-in form needs one), sent in the hidden
// field [FormTokenField] of every form and compared in constant time. A
// form made in another session (another user's cookie, an expired
// session) or on another site, or a POST with no form at all, is refused
// before any handler runs, so it changes nothing. It does not depend on
// browsers' headers; pair it with the cross-origin check
// ([http.CrossOriginProtection]) all the same.
type FormTokens struct {
	// Session keeps the token. Required.
	Session FormSession
	// Refuse answers a POST without the session's token (a 403 page).
	// Required.
	Refuse http.Handler
	// BadForm answers a body that cannot be read as a form, or is too
	// large (a 400 page). Required.
	BadForm http.Handler
	// Logger gets one warning per refusal, with the path and whether a
	// token was sent and the session had one (never the tokens). Default:
	// discard.
	Logger *slog.Logger
	// MaxBytes bounds a url-encoded form (default 16 KiB).
	MaxBytes int64
	// MaxMultipartBytes bounds a multipart/form-data body, files
	// included, which is then parsed with [http.Request.ParseMultipartForm]
	// (files above 1 MiB go to temporary files, removed when the request
	// ends); 0 refuses multipart bodies as bad forms.
	MaxMultipartBytes int64
	// MayUpload, if set, is asked before a multipart body is read: an
	// upload from a request it refuses (say, no one is logged in) is
	// refused without spooling the body to disk.
	MayUpload func(r *http.Request) bool
}

// Token returns the session's form token, making it on first use.
func (f *FormTokens) Token(r *http.Request) string {
	t := f.Session.GetString(r.Context(), FormTokenKey)
	if t == "" {
		t = NewSecret()
		f.Session.Put(r.Context(), FormTokenKey, t)
	}
	return t
}

// Renew gives the session a new form token: call it at log-in, so that a
// form shown before log-in stops working after it.
func (f *FormTokens) Renew(ctx context.Context) { f.Session.Put(ctx, FormTokenKey, NewSecret()) }

// Check refuses every request but GET and HEAD whose form does not carry
// the session's form token, before next runs; the form is parsed
// (r.PostForm, and r.MultipartForm for a multipart body) for next. It must
// run inside the session manager's LoadAndSave.
func (f *FormTokens) Check(next http.Handler) http.Handler {
	maxBytes := f.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxFormBytes
	}
	log := f.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
			if f.MaxMultipartBytes <= 0 {
				f.BadForm.ServeHTTP(w, r)
				return
			}
			if f.Session.GetString(r.Context(), FormTokenKey) == "" || (f.MayUpload != nil && !f.MayUpload(r)) {
				log.WarnContext(r.Context(), "upload refused before reading it", "path", r.URL.Path)
				f.Refuse.ServeHTTP(w, r)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, f.MaxMultipartBytes)
			if err := r.ParseMultipartForm(1 << 20); err != nil {
				f.BadForm.ServeHTTP(w, r)
				return
			}
		} else {
			r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
			if err := r.ParseForm(); err != nil {
				f.BadForm.ServeHTTP(w, r)
				return
			}
		}
		sent := r.PostFormValue(FormTokenField)
		want := f.Session.GetString(r.Context(), FormTokenKey)
		if sent == "" || want == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(want)) != 1 {
			log.WarnContext(r.Context(), "form token refused", "path", r.URL.Path, "token_sent", sent != "",
				"session_has_token", want != "")
			f.Refuse.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
