package ui

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// FlashKey is the session key of a message for the next page.
const FlashKey = "flash"

// FlashSession is what [PutFlash] and [PopFlash] need of a session
// manager (an *scs.SessionManager has it).
type FlashSession interface {
	Put(ctx context.Context, key string, val any)
	PopString(ctx context.Context, key string) string
}

// PutFlash stores a message for the next page the session shows: a
// message key and its arguments.
func PutFlash(ctx context.Context, s FlashSession, key string, args ...string) {
	s.Put(ctx, FlashKey, strings.Join(append([]string{key}, args...), "\x1f"))
}

// PopFlash returns the message [PutFlash] stored, in l from m, or "" if
// there is none; it is shown once.
func PopFlash(ctx context.Context, s FlashSession, m Messages, l Lang) string {
	v := s.PopString(ctx, FlashKey)
	if v == "" {
		return ""
	}
	parts := strings.Split(v, "\x1f")
	args := make([]any, len(parts)-1)
	for i, p := range parts[1:] {
		args[i] = p
	}
	return m.Text(l, parts[0], args...)
}

// ReturnPath is the page to come back to after log-in: r's path, and for
// a GET its query without lang (the log-in page passes its own on).
func ReturnPath(r *http.Request) string {
	next, rest := r.URL.Path, r.URL.Query()
	rest.Del("lang")
	if r.Method == http.MethodGet && len(rest) > 0 {
		next += "?" + rest.Encode()
	}
	return next
}

// SafeNext returns next if it is a local page under home to go to after
// log-in, else home: never another host ("//evil", "/\evil", "https://…"),
// never a page outside home, and never one of the paths never (the log-out
// page, say).
func SafeNext(next, home string, never ...string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.Scheme != "" || u.Host != "" || u.User != nil ||
		strings.ContainsAny(next, "\\\r\n\t") || strings.HasPrefix(next, "//") ||
		!strings.HasPrefix(u.Path, home) || strings.Contains(u.Path, "/..") || strings.Contains(u.Path, "/./") {
		return home
	}
	for _, p := range never {
		if u.Path == p {
			return home
		}
	}
	return next
}
