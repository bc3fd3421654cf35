package ui

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
)

// Pages are a page package's templates, each page parsed together with
// the layout that frames it.
type Pages struct {
	pages map[string]*template.Template
}

// MustParsePages parses templates/<name>.html of fsys (an [embed.FS]) for
// each of names, each with its own copy of templates/layout.html, which
// frames every page and executes the page's "content" template. Templates
// may call asset with a file name for its URL ([Assets.URL]). It panics on
// a template error: the templates are embedded, so that is a build mistake.
func MustParsePages(fsys fs.FS, assets *Assets, names ...string) *Pages {
	funcs := template.FuncMap{"asset": assets.URL}
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(fsys, "templates/layout.html"))
	p := &Pages{pages: map[string]*template.Template{}}
	for _, name := range names {
		t := template.Must(base.Clone())
		p.pages[name] = template.Must(t.ParseFS(fsys, "templates/"+name+".html"))
	}
	return p
}

// Render writes the page name, framed by the layout and executed with
// data, with status as text/html. It renders into a buffer first, so that
// a template error becomes a clean plain-text 500 instead of half a page;
// that error is returned for the caller to log with its context.
func (p *Pages) Render(w http.ResponseWriter, status int, name string, data any) error {
	t, ok := p.pages[name]
	if !ok {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return fmt.Errorf("no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", data); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return nil
}
