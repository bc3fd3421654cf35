package mail_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"paygate/internal/mail"
	"paygate/internal/mail/mailtest"
)

func TestNewSenderChecksConfig(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]mail.Config{
		"NoHost":    {From: "a@example.com"},
		"BadFrom":   {Host: "smtp.example.com", From: "not an address"},
		"BadPort":   {Host: "smtp.example.com", From: "a@example.com", Port: 70000},
		"BadPolicy": {Host: "smtp.example.com", From: "a@example.com", TLS: "sometimes"},
	} {
		if _, err := mail.NewSender(cfg); err == nil {
			t.Errorf("%s: NewSender accepted %+v", name, cfg)
		}
	}
	cfg := mail.Config{Host: "smtp.example.com", Username: "u", Password: "hunter2", From: "a@example.com"}
	if s := cfg.String(); strings.Contains(s, "hunter2") || !strings.Contains(s, "password=xxxxx") {
		t.Errorf("Config.String() = %q; the password must be masked", s)
	}
}

// TestSendErrors: what a Sender reports for servers that will not take a
// message, in texts safe to store.
func TestSendErrors(t *testing.T) {
	t.Parallel()
	snk := mailtest.NewSink(t, func(int) error { return mailtest.TempFail })
	out := mail.Outgoing{ID: "msg_1", CreatedAt: t0, Message: activation("alice@example.com")}
	tests := []struct {
		name string
		cfg  mail.Config
		want mail.SendError
	}{
		{"TempFailure", mail.Config{Port: snk.Addr.Port, TLS: mail.TLSNone},
			mail.SendError{Code: 451, Text: "smtp 451 at rcpt"}},
		{"MandatoryTLSNotOffered", mail.Config{Port: snk.Addr.Port},
			mail.SendError{Text: "server offers no starttls"}},
		{"Refused", mail.Config{Port: reservedAddr(t), TLS: mail.TLSNone},
			mail.SendError{Text: "connection refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.cfg
			cfg.Host, cfg.From, cfg.Timeout = "127.0.0.1", "no-reply@pay.example", 5*time.Second
			snd, err := mail.NewSender(cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = snd.Send(context.Background(), out)
			var se *mail.SendError
			if !errors.As(err, &se) || se.Code != tt.want.Code || se.Text != tt.want.Text || se.Permanent != tt.want.Permanent {
				t.Fatalf("Send = %#v, want %+v", err, tt.want)
			}
			if strings.Contains(se.Text, "alice") || strings.Contains(se.Text, "try again") {
				t.Errorf("error text %q leaks the address or the server's reply", se.Text)
			}
		})
	}
	if got := snk.Messages(); len(got) != 0 {
		t.Errorf("sink accepted %d messages", len(got))
	}
}
