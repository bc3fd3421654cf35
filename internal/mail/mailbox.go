package mail

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

//go:embed templates/mailbox.html
var templateFS embed.FS

var mailboxTmpl = template.Must(template.New("mailbox").Funcs(template.FuncMap{
	"stateName": stateName,
}).ParseFS(templateFS, "templates/mailbox.html"))

// mailboxCSP allows nothing but the page's own style block: no script, no
// external resource. A sandboxed srcdoc frame inherits it, so an HTML body
// cannot load images or anything else either.
const mailboxCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// mailboxPageSize is how many messages one page of the list shows.
const mailboxPageSize = 50

// MailboxHandler returns the demo mailbox: every message in o, newest
// first, at GET /mailbox (?to= filters by recipient, ?before= pages), and
// one message at GET /mailbox/{id}, its text body with http(s) links made
// clickable and its HTML body, if any, in a sandboxed frame. Pages are
// self-contained (no script, no external asset) and escape everything.
//
// It shows every email the gateway sent, activation links included, to
// whoever asks: mount it only in `paygate demo`, never in production.
func MailboxHandler(o *Outbox, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &mailbox{outbox: o, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /mailbox", h.list)
	mux.HandleFunc("GET /mailbox/{$}", h.list)
	mux.HandleFunc("GET /mailbox/{id}", h.show)
	return mux
}

type mailbox struct {
	outbox *Outbox
	log    *slog.Logger
}

func (h *mailbox) list(w http.ResponseWriter, r *http.Request) {
	to := strings.TrimSpace(r.URL.Query().Get("to"))
	before := r.URL.Query().Get("before")
	mails, err := h.outbox.List(r.Context(), ListParams{To: to, Before: before, Limit: mailboxPageSize})
	if err != nil {
		h.log.ErrorContext(r.Context(), "mailbox list failed", "err", err)
		h.render(w, r, http.StatusInternalServerError, "error", nil)
		return
	}
	var older string
	if len(mails) == mailboxPageSize {
		q := url.Values{"before": {mails[len(mails)-1].ID}}
		if to != "" {
			q.Set("to", to)
		}
		older = "/mailbox?" + q.Encode()
	}
	h.render(w, r, http.StatusOK, "list", struct {
		To    string
		Mails []Mail
		Older string
	}{to, mails, older})
}

func (h *mailbox) show(w http.ResponseWriter, r *http.Request) {
	m, err := h.outbox.Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, ErrMessageNotFound) {
		h.render(w, r, http.StatusNotFound, "notfound", nil)
		return
	}
	if err != nil {
		h.log.ErrorContext(r.Context(), "mailbox read failed", "err", err)
		h.render(w, r, http.StatusInternalServerError, "error", nil)
		return
	}
	h.render(w, r, http.StatusOK, "show", struct {
		Mail Mail
		Text []segment
	}{m, linkify(m.Text)})
}

// render executes the named template into a buffer first, so a template
// error never leaves half a page.
func (h *mailbox) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := mailboxTmpl.ExecuteTemplate(&buf, name, data); err != nil {
		h.log.ErrorContext(r.Context(), "mailbox render failed", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Content-Security-Policy", mailboxCSP)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func stateName(s State) string {
	switch s {
	case Pending:
		return "待发送 pending"
	case Sent:
		return "已发送 sent"
	case Failed:
		return "失败 failed"
	}
	return string(s)
}

// segment is a run of a text body: plain text, or a link when URL is set.
type segment struct {
	Text string
	URL  string // an absolute http(s) URL, or ""
}

// linkCandidate matches what may be an http(s) URL: RFC 3986 characters
// only, so that a URL ends at a space, a quote, an angle bracket or any
// non-ASCII character such as a Chinese comma.
var linkCandidate = regexp.MustCompile(`(?i)\bhttps?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+`)

// linkify splits text into plain runs and links. Only absolute http and
// https URLs with a host become links; trailing sentence punctuation and
// an unbalanced closing parenthesis stay text. The template escapes both.
func linkify(text string) []segment {
	var out []segment
	last := 0
	for _, loc := range linkCandidate.FindAllStringIndex(text, -1) {
		start, end := loc[0], loc[1]
		raw := trimLink(text[start:end])
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			continue
		}
		if start > last {
			out = append(out, segment{Text: text[last:start]})
		}
		out = append(out, segment{Text: raw, URL: raw})
		last = start + len(raw)
	}
	if last < len(text) {
		out = append(out, segment{Text: text[last:]})
	}
	return out
}

// trimLink drops what ends a sentence rather than a URL.
func trimLink(s string) string {
	for len(s) > 0 {
		c := s[len(s)-1]
		switch {
		case strings.IndexByte(".,;:!?'*", c) >= 0:
			s = s[:len(s)-1]
		case c == ')' && strings.Count(s, "(") < strings.Count(s, ")"):
			s = s[:len(s)-1]
		case c == ']' && strings.Count(s, "[") < strings.Count(s, "]"):
			s = s[:len(s)-1]
		default:
			return s
		}
	}
	return s
}
