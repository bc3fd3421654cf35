package ui

import (
	"fmt"
	"net/http"
	"strings"

	"paygate/internal/errs"
)

// Lang is a page language.
type Lang string

// The page languages. Chinese is the default.
const (
	ZH Lang = "zh"
	EN Lang = "en"
)

// PickLang chooses the page language: ?lang=zh|en, else the first of zh/en
// in Accept-Language (by order, ignoring weights of 0), else Chinese.
func PickLang(r *http.Request) Lang {
	switch r.URL.Query().Get("lang") {
	case "zh":
		return ZH
	case "en":
		return EN
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.ReplaceAll(strings.TrimSpace(params), " ", "") == "q=0" {
			continue
		}
		tag = strings.ToLower(strings.TrimSpace(tag))
		switch {
		case tag == "zh" || strings.HasPrefix(tag, "zh-"):
			return ZH
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			return EN
		}
	}
	return ZH
}

// Other is the language the switch link offers.
func (l Lang) Other() Lang {
	if l == EN {
		return ZH
	}
	return EN
}

// Messages is a page package's strings: key → {zh, en}.
type Messages map[string][2]string

// Text returns key in l, formatted with args (English texts may reorder
// them with %[n]s). A key the table lacks is returned as it is.
func (m Messages) Text(l Lang, key string, args ...any) string {
	t, ok := m[key]
	if !ok {
		return key
	}
	s := t[0]
	if l == EN {
		s = t[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// ErrorText is what a person is told about a service error: the text of
// "err_<code>" for its [errs.Error] code if the table has one, else the
// error's own (English) message, with the HTTP status of its kind. ok is
// false for an error that is not an application error, or an internal
// one, whose details must not be shown: the caller logs it and answers 500.
func (m Messages) ErrorText(l Lang, err error) (text string, status int, ok bool) {
	e := errs.As(err)
	if e == nil || e.Kind == errs.Internal {
		return "", http.StatusInternalServerError, false
	}
	if _, has := m["err_"+e.Code]; has {
		return m.Text(l, "err_"+e.Code), e.Kind.HTTPStatus(), true
	}
	return e.Message, e.Kind.HTTPStatus(), true
}

// DeclineText is the reason for a bank's ISO 8583 response code: the text
// of "rc_<code>", codes that mean the same to a payer sharing one, and
// "rc_default" for a code the table lacks.
func (m Messages) DeclineText(l Lang, code string) string {
	switch code {
	case "12", "13", "30":
		code = "default"
	case "06", "96":
		code = "96"
	case "68", "91":
		code = "91"
	}
	if _, ok := m["rc_"+code]; !ok {
		code = "default"
	}
	return m.Text(l, "rc_"+code)
}
