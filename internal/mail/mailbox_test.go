package mail_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"paygate/internal/mail"
)

// TestMailbox: the demo mailbox lists messages and shows one with its
// activation link clickable and everything else escaped.
func TestMailbox(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, b *testBundle) {
		m := mail.Message{
			To:      "alice@example.com",
			Subject: `<script>alert("s")</script> 激活 & activate`,
			Text: "请激活 Activate: https://pay.example/activate?token=t0k3n&lang=zh。\n" +
				"Not links: javascript:alert(1) <b>bold</b> ftp://x.example/f\n" +
				"(see https://pay.example/help.)",
			HTML: `<p onclick="alert(1)">hi <img src="https://tracker.example/p.gif"></p><script>alert("h")</script>`,
			Kind: "activation",
		}
		msgID := mustEnqueue(t, b.db, b.outbox, m)
		other := mustEnqueue(t, b.db, b.outbox, activation("bob@example.com"))

		// The demo's one line.
		mux := http.NewServeMux()
		mux.Handle("GET /mailbox/", mail.MailboxHandler(b.outbox, slog.New(slog.DiscardHandler)))
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)

		get := func(path string) (int, http.Header, string) {
			t.Helper()
			resp, err := srv.Client().Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, resp.Header, string(body)
		}

		status, hdr, body := get("/mailbox")
		if status != 200 || !strings.Contains(hdr.Get("Content-Type"), "text/html") ||
			!strings.Contains(hdr.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Fatalf("GET /mailbox: %d %v", status, hdr)
		}
		for _, want := range []string{"邮箱", "Mailbox", "收件人", "Subject", `href="/mailbox/` + msgID + `"`,
			`href="/mailbox/` + other + `"`, "&lt;script&gt;alert(&#34;s&#34;)&lt;/script&gt; 激活 &amp; activate"} {
			if !strings.Contains(body, want) {
				t.Errorf("list lacks %q", want)
			}
		}
		if strings.Index(body, other) > strings.Index(body, msgID) {
			t.Error("list is not newest first")
		}
		assertNoActiveContent(t, body)

		_, _, body = get("/mailbox?to=bob@example.com")
		if strings.Contains(body, msgID) || !strings.Contains(body, other) {
			t.Error("the to filter does not filter")
		}

		status, _, body = get("/mailbox/" + msgID)
		if status != 200 {
			t.Fatalf("GET message: %d", status)
		}
		for _, want := range []string{
			`<a href="https://pay.example/activate?token=t0k3n&amp;lang=zh" rel="noopener noreferrer">https://pay.example/activate?token=t0k3n&amp;lang=zh</a>。`,
			`<a href="https://pay.example/help" rel="noopener noreferrer">https://pay.example/help</a>.)`,
			"javascript:alert(1) &lt;b&gt;bold&lt;/b&gt; ftp://x.example/f",
			`sandbox=""`,
			`srcdoc="&lt;p onclick=&#34;alert(1)&#34;&gt;`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("message page lacks %q", want)
			}
		}
		if strings.Count(body, "<a href=\"http") != 2 {
			t.Errorf("want exactly 2 links in the text body:\n%s", body)
		}
		assertNoActiveContent(t, body)

		if status, _, _ := get("/mailbox/msg_nope"); status != 404 {
			t.Errorf("unknown message: %d, want 404", status)
		}
		if status, _, _ := get("/mailbox/"); status != 200 {
			t.Errorf("GET /mailbox/: %d", status)
		}
	})
}

// assertNoActiveContent fails if page holds any markup that could run or
// fetch something.
func assertNoActiveContent(t *testing.T, page string) {
	t.Helper()
	lower := strings.ToLower(page)
	for _, bad := range []string{"<script", "<p onclick", "<img", "javascript:alert(1)\"", `href="javascript`, "<link", "@import"} {
		if strings.Contains(lower, bad) {
			t.Errorf("page holds %q", bad)
		}
	}
}
