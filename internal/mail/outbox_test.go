package mail_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"paygate/internal/db"
	"paygate/internal/errs"
	"paygate/internal/mail"
)

func TestEnqueueValidates(t *testing.T) {
	t.Parallel()
	ok := activation("alice@example.com")
	with := func(f func(m *mail.Message)) mail.Message {
		m := ok
		f(&m)
		return m
	}
	tests := []struct {
		name  string
		m     mail.Message
		field string
	}{
		{"EmptyTo", with(func(m *mail.Message) { m.To = "" }), "to"},
		{"NotAnAddress", with(func(m *mail.Message) { m.To = "alice" }), "to"},
		{"DisplayName", with(func(m *mail.Message) { m.To = "Alice <alice@example.com>" }), "to"},
		{"TwoAddresses", with(func(m *mail.Message) { m.To = "a@example.com, b@example.com" }), "to"},
		{"HeaderInjection", with(func(m *mail.Message) { m.To = "a@example.com\r\nBcc: x@evil.example" }), "to"},
		{"NoDotInDomain", with(func(m *mail.Message) { m.To = "a@example" }), "to"},
		{"EmptySubject", with(func(m *mail.Message) { m.Subject = "" }), "subject"},
		{"SubjectLineBreak", with(func(m *mail.Message) { m.Subject = "hi\r\nBcc: x@evil.example" }), "subject"},
		{"SubjectTooLong", with(func(m *mail.Message) { m.Subject = strings.Repeat("长", mail.MaxSubjectRunes+1) }), "subject"},
		{"EmptyText", with(func(m *mail.Message) { m.Text = " \n" }), "text"},
		{"TextTooLong", with(func(m *mail.Message) { m.Text = strings.Repeat("x", mail.MaxTextBytes+1) }), "text"},
		{"TextNotUTF8", with(func(m *mail.Message) { m.Text = "\xff" }), "text"},
		{"HTMLTooLong", with(func(m *mail.Message) { m.HTML = strings.Repeat("x", mail.MaxHTMLBytes+1) }), "html"},
		{"NoKind", with(func(m *mail.Message) { m.Kind = "" }), "kind"},
		{"BadKind", with(func(m *mail.Message) { m.Kind = "Activation!" }), "kind"},
		{"RefTooLong", with(func(m *mail.Message) { m.Ref = strings.Repeat("r", 101) }), "ref"},
	}
	engines(t, func(t *testing.T, b *testBundle) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := b.db.InTx(context.Background(), func(tx *db.Tx) error {
					_, err := b.outbox.Enqueue(context.Background(), tx, tt.m)
					return err
				})
				var ie *mail.InvalidMessageError
				if !errors.As(err, &ie) || ie.Field != tt.field || !errors.Is(err, mail.ErrInvalidMessage) ||
					errs.KindOf(err) != errs.Invalid {
					t.Fatalf("Enqueue = %v; want an invalid %s", err, tt.field)
				}
			})
		}
		if list, _ := b.outbox.List(context.Background(), mail.ListParams{}); len(list) != 0 {
			t.Fatalf("invalid messages were stored: %d", len(list))
		}
	})
}

// TestListNewestFirst pages and filters the stored messages.
func TestListNewestFirst(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, b *testBundle) {
		ctx := context.Background()
		var ids []string
		for i := range 5 {
			to := "a@example.com"
			if i%2 == 1 {
				to = "b@example.com"
			}
			ids = append(ids, mustEnqueue(t, b.db, b.outbox, activation(to)))
			b.clock.Advance(time.Second)
		}
		list := func(p mail.ListParams) []string {
			t.Helper()
			ms, err := b.outbox.List(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, m := range ms {
				out = append(out, m.ID)
			}
			return out
		}
		if got := list(mail.ListParams{}); strings.Join(got, ",") != strings.Join([]string{ids[4], ids[3], ids[2], ids[1], ids[0]}, ",") {
			t.Errorf("List = %v", got)
		}
		if got := list(mail.ListParams{Limit: 2, Before: ids[3]}); strings.Join(got, ",") != ids[2]+","+ids[1] {
			t.Errorf("List(before, limit 2) = %v", got)
		}
		if got := list(mail.ListParams{To: "B@EXAMPLE.com"}); len(got) != 0 {
			t.Errorf("List(to with other local-part case) = %v; local parts are case-sensitive", got)
		}
		if got := list(mail.ListParams{To: "b@EXAMPLE.COM"}); strings.Join(got, ",") != ids[3]+","+ids[1] {
			t.Errorf("List(to) = %v", got)
		}
		if got := list(mail.ListParams{To: "not an address"}); len(got) != 0 {
			t.Errorf("List(bad to) = %v", got)
		}
		m := mustGet(t, b.outbox, ids[1])
		if m.State != mail.Pending || !m.NextAttemptAt.Equal(t0.Add(time.Second)) || !m.CreatedAt.Equal(t0.Add(time.Second)) {
			t.Errorf("Get = %+v", m)
		}
		if _, err := b.outbox.Get(ctx, "msg_nope"); !errors.Is(err, mail.ErrMessageNotFound) || errs.KindOf(err) != errs.NotFound {
			t.Errorf("Get(unknown) = %v", err)
		}
	})
}

func TestMaskAddress(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"alice@example.com": "a***@example.com",
		"张三@example.cn":     "张***@example.cn",
		"nope":              "***",
		"@example.com":      "***",
	} {
		if got := mail.MaskAddress(in); got != want {
			t.Errorf("MaskAddress(%q) = %q, want %q", in, got, want)
		}
	}
}
