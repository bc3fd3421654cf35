package ui_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"paygate/internal/errs"
	"paygate/internal/web/ui"
)

func TestPickLang(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query, accept string
		want          ui.Lang
	}{
		{"", "", ui.ZH},
		{"?lang=en", "zh-CN", ui.EN},
		{"?lang=zh", "en-US", ui.ZH},
		{"?lang=fr", "en-US,en;q=0.9", ui.EN},
		{"", "fr-FR, en;q=0.5", ui.EN},
		{"", "en;q=0, zh-TW", ui.ZH},
		{"", "en ; q = 0, fr", ui.ZH},
		{"", "EN-gb", ui.EN},
		{"", "eng, zh-Hant", ui.ZH},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/page"+tt.query, nil)
		if tt.accept != "" {
			r.Header.Set("Accept-Language", tt.accept)
		}
		if got := ui.PickLang(r); got != tt.want {
			t.Errorf("%q, Accept-Language %q: %q, want %q", tt.query, tt.accept, got, tt.want)
		}
	}
	if ui.ZH.Other() != ui.EN || ui.EN.Other() != ui.ZH {
		t.Error("Other does not switch between zh and en")
	}
}

var messages = ui.Messages{
	"hello":         {"你好，%s", "Hello, %s"},
	"sent":          {"已向 %s 付款 %s", "You sent %[2]s to %[1]s"},
	"err_known":     {"已知错误", "A known error"},
	"rc_51":         {"余额不足。", "Insufficient funds."},
	"rc_91":         {"银行无应答。", "The bank is not answering."},
	"rc_96":         {"银行故障。", "The bank had a problem."},
	"rc_default":    {"银行拒绝。", "The bank declined."},
	"no_arguments":  {"百分之百", "100%"},
	"only_in_table": {"中", "en"},
}

func TestMessagesText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lang ui.Lang
		key  string
		args []any
		want string
	}{
		{ui.ZH, "hello", []any{"安"}, "你好，安"},
		{ui.EN, "hello", []any{"Ann"}, "Hello, Ann"},
		{ui.EN, "sent", []any{"a@b.c", "¥1.00"}, "You sent ¥1.00 to a@b.c"},
		{ui.ZH, "sent", []any{"a@b.c", "¥1.00"}, "已向 a@b.c 付款 ¥1.00"},
		{ui.EN, "no_arguments", nil, "100%"},
		{ui.EN, "missing_key", nil, "missing_key"},
		{ui.Lang("fr"), "only_in_table", nil, "中"},
	}
	for _, tt := range tests {
		if got := messages.Text(tt.lang, tt.key, tt.args...); got != tt.want {
			t.Errorf("Text(%s, %q) = %q, want %q", tt.lang, tt.key, got, tt.want)
		}
	}
}

func TestMessagesErrorText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		err    error
		text   string
		status int
		ok     bool
	}{
		{"Translated", fmt.Errorf("wrapped: %w", errs.E(errs.Conflict, "known", "A known error in English")), "已知错误", http.StatusConflict, true},
		{"Untranslated", errs.E(errs.Invalid, "other", "Its own message."), "Its own message.", http.StatusBadRequest, true},
		{"Internal", errs.E(errs.Internal, "known", "secret details"), "", http.StatusInternalServerError, false},
		{"NotAnApplicationError", errors.New("driver: secret details"), "", http.StatusInternalServerError, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			text, status, ok := messages.ErrorText(ui.ZH, tt.err)
			if text != tt.text || status != tt.status || ok != tt.ok {
				t.Errorf("ErrorText = %q, %d, %v; want %q, %d, %v", text, status, ok, tt.text, tt.status, tt.ok)
			}
		})
	}
}

func TestMessagesDeclineText(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]string{
		"51": "Insufficient funds.", "91": "The bank is not answering.", "68": "The bank is not answering.",
		"96": "The bank had a problem.", "06": "The bank had a problem.", "12": "The bank declined.",
		"05": "The bank declined.", "": "The bank declined.",
	} {
		if got := messages.DeclineText(ui.EN, code); got != want {
			t.Errorf("DeclineText(%q) = %q, want %q", code, got, want)
		}
	}
}
