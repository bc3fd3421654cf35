package cashier

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"time"

	"paygate/internal/money"
	"paygate/internal/payment"
	"paygate/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// contentSecurityPolicy allows only the cashier's own scripts, styles and
// images, forms posting back to the cashier, and no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// secure sets the headers every cashier response carries.
func (h *Handler) secure(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Cache-Control", "no-store")
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		next(w, r)
	})
}

// assetSet is the embedded static files with their content hashes, which
// version their URLs.
type assetSet struct {
	files map[string][]byte
	hash  map[string]string
}

func mustLoadAssets() *assetSet {
	a := &assetSet{files: map[string][]byte{}, hash: map[string]string{}}
	entries, err := fs.ReadDir(assetFS, "assets")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(assetFS, "assets/"+e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		a.files[e.Name()] = b
		a.hash[e.Name()] = hex.EncodeToString(sum[:6])
	}
	return a
}

// url is the versioned address of an asset.
func (a *assetSet) url(name string) string {
	return "/pay/assets/" + a.hash[name] + "/" + name
}

// asset serves one embedded file. Its URL carries the content hash (any
// version segment is accepted, so pages from an older instance still load),
// yet it is no-store like every cashier response: the assets are small.
func (h *Handler) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	b, ok := h.assets.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	ctype := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
		".svg": "image/svg+xml"}[path.Ext(name)]
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Write(b)
}

// pageNames are the templates under templates/, each rendered inside
// layout.html.
var pageNames = []string{"pay", "processing", "success", "message"}

func mustParsePages(a *assetSet) map[string]*template.Template {
	funcs := template.FuncMap{"asset": a.url}
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t := template.Must(base.Clone())
		pages[name] = template.Must(t.ParseFS(templateFS, "templates/"+name+".html"))
	}
	return pages
}

// view is what every page template sees.
type view struct {
	Lang      lang
	Title     string
	Query     string // "?lang=…" to keep the language on links
	SwitchURL string // the same page in the other language
	RequestID string

	Payment payment.Payment
	Amount  string // "¥12.34"
	Code    string // "CNY"

	// pay
	SecondsLeft int64
	Banks       []bankView
	Form        formValues
	Problem     *notice // input problem or decline
	Notice      *notice // news about an earlier attempt
	Methods     []methodView
	Method      string // the method whose form is shown

	// success
	Attempt   *payment.Attempt
	ReturnURL string
	PaidAt    string

	// message pages
	Heading string
	Body    string
	Tone    string // "bad", "warn", "info"
}

// T returns the message key in the page's language.
func (v *view) T(key string, args ...any) string { return v.Lang.text(key, args...) }

// notice is a box on the pay page.
type notice struct {
	Title    string
	Detail   string
	Code     string // bank response code, if any
	CodeText string // "Bank response code 51"
	Tone     string // "bad" or "warn"
}

// bankView is one bank choice.
type bankView struct {
	Code, Short, Name, Prefixes string
	Selected                    bool
}

// formValues are what the payer typed, shown again after a problem. The
// PIN is never among them.
type formValues struct {
	Bank, Email, CardNo string
	Method              string // the form it came from: bankcard or account
}

// newView fills the fields every page has.
func (h *Handler) newView(r *http.Request, title string) *view {
	l := pickLang(r)
	other := en
	if l == en {
		other = zh
	}
	return &view{
		Lang:      l,
		Title:     l.text(title),
		Query:     "?lang=" + string(l),
		SwitchURL: r.URL.Path + "?lang=" + string(other),
		RequestID: web.RequestID(r.Context()),
	}
}

// withPayment adds the order summary.
func (v *view) withPayment(p payment.Payment) *view {
	v.Payment = p
	v.Amount = formatAmount(p.Amount)
	v.Code = string(p.Amount.Currency())
	return v
}

// symbols are the currency signs shown before amounts.
var symbols = map[money.Currency]string{"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "JP¥", "HKD": "HK$"}

// formatAmount is "¥12.34", with thousands separated: "¥10,000.00".
func formatAmount(a money.Amount) string {
	s := a.String()
	intPart, frac := s, ""
	for i := range len(s) {
		if s[i] == '.' {
			intPart, frac = s[:i], s[i:]
			break
		}
	}
	neg := len(intPart) > 0 && intPart[0] == '-'
	if neg {
		intPart = intPart[1:]
	}
	var b []byte
	for i := range len(intPart) {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, intPart[i])
	}
	out := string(b) + frac
	if sym, ok := symbols[a.Currency()]; ok {
		out = sym + out
	} else {
		out += " " + string(a.Currency())
	}
	if neg {
		out = "-" + out
	}
	return out
}

// formatTime shows t in China Standard Time, where the payer most likely is.
func formatTime(t time.Time) string {
	return t.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04:05") + " (UTC+8)"
}

// render writes page with status. Rendering goes to a buffer first so that a
// template error becomes a clean 500.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	var buf bytes.Buffer
	if err := h.pages[page].ExecuteTemplate(&buf, "layout.html", v); err != nil {
		h.log.ErrorContext(r.Context(), "cashier: render", "page", page, "request_id", v.RequestID, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// message renders a page with just a heading and a text.
func (h *Handler) message(w http.ResponseWriter, r *http.Request, status int, tone, title, body string, p *payment.Payment) {
	v := h.newView(r, title)
	v.Heading, v.Body, v.Tone = v.Title, body, tone
	if p != nil {
		v.withPayment(*p)
		v.ReturnURL = h.returnURL(*p)
	}
	h.render(w, r, status, "message", v)
}
