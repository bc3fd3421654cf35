package iso8583

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// builtin holds the built-in dialects as the same JSON a bank's
// configuration would use.
//
//go:embed dialects/*.json
var builtin embed.FS

// Names returns the names of the built-in dialects, sorted.
func Names() []string {
	entries, err := fs.ReadDir(builtin, "dialects")
	if err != nil {
		panic(err) // embedded at build time
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	slices.Sort(names)
	return names
}

// Lookup returns a fresh copy of the built-in dialect called name ("icbc",
// "cmb", "intl"); the caller may keep and use it concurrently. Unknown
// names return an error wrapping [ErrUnknownDialect].
func Lookup(name string) (*Dialect, error) {
	if slices.Contains(Names(), name) {
		data, err := builtin.ReadFile("dialects/" + name + ".json")
		if err == nil {
			return ParseDialect(data)
		}
	}
	return nil, fmt.Errorf("%w %q (built in: %s)", ErrUnknownDialect, name, strings.Join(Names(), ", "))
}
