package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
)

// Assets are a page package's static files (stylesheet, script, icon),
// embedded in the binary and served under URLs that carry their content
// hash, so that a changed file gets a new URL.
type Assets struct {
	prefix string
	files  map[string][]byte
	hash   map[string]string
}

// MustLoadAssets reads every file of the directory dir of fsys (an
// [embed.FS]); their URLs are prefix + "<hash>/<name>". It panics if dir
// cannot be read: the files are embedded, so that is a build mistake.
func MustLoadAssets(fsys fs.FS, dir, prefix string) *Assets {
	a := &Assets{prefix: prefix, files: map[string][]byte{}, hash: map[string]string{}}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		a.files[e.Name()] = b
		a.hash[e.Name()] = hex.EncodeToString(sum[:6])
	}
	return a
}

// URL is the versioned address of the asset name; templates call it as
// asset (see [MustParsePages]).
func (a *Assets) URL(name string) string {
	return a.prefix + a.hash[name] + "/" + name
}

// contentTypes are the types of the asset files by extension; others are
// application/octet-stream.
var contentTypes = map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
	".svg": "image/svg+xml"}

// ServeHTTP serves the asset named by the route's {name} wildcard, or 404.
// Any version segment is accepted, so that pages from an older instance
// still load; caching is left to the route's middleware.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	b, ok := a.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	ctype := contentTypes[path.Ext(name)]
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Write(b)
}
