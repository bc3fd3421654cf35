package portal

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"paygate/internal/batchrefund"
	"paygate/internal/payment"
	"paygate/internal/staff"
)

// TestMessagesComplete: every message has both languages with the same
// arguments, every key a template or handler names exists, and so does
// every key made from a status, role, action or problem code.
func TestMessagesComplete(t *testing.T) {
	t.Parallel()
	for k, m := range messages {
		if m[0] == "" || m[1] == "" {
			t.Errorf("message %q lacks a language", k)
		}
		if strings.Count(m[0], "%") != strings.Count(m[1], "%") {
			t.Errorf("message %q: the languages take different arguments", k)
		}
	}
	var keys []string
	re := regexp.MustCompile(`\.T "([a-z_]+)"`)
	fs.WalkDir(files, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(files, p)
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
		return nil
	})
	for _, s := range []payment.Status{payment.Created, payment.Processing, payment.Succeeded, payment.Closed} {
		keys = append(keys, "status_"+string(s))
	}
	for _, s := range []payment.RefundStatus{payment.RefundPending, payment.RefundProcessing, payment.RefundSucceeded, payment.RefundFailed} {
		keys = append(keys, "refund_"+string(s))
	}
	for _, s := range []payment.AttemptState{payment.AttemptSent, payment.AttemptApproved, payment.AttemptDeclined,
		payment.AttemptUnknown, payment.AttemptReversed} {
		keys = append(keys, "attempt_"+string(s))
	}
	for _, s := range []string{batchrefund.Validated, batchrefund.Queued, batchrefund.Done, batchrefund.Discarded} {
		keys = append(keys, "batch_"+s)
	}
	for _, p := range batchrefund.Problems {
		keys = append(keys, "problem_"+p.Code)
	}
	for _, r := range staff.Roles {
		keys = append(keys, "role_"+string(r))
	}
	for _, a := range []staff.Action{staff.ViewPayments, staff.ExportPayments, staff.Refund, staff.BatchRefund, staff.Resend,
		staff.ManageKeys, staff.ChangeSettings} {
		keys = append(keys, "action_"+string(a))
	}
	for _, m := range methods {
		keys = append(keys, "method_"+m)
	}
	keys = append(keys, "event_pending", "event_delivered", "event_failed", "bad_amount", "amount_zero", "amount_big",
		"refund_succeeded_flash", "refund_pending_flash", "refund_processing_flash", "refund_done_failed")
	for _, k := range keys {
		if _, ok := messages[k]; !ok {
			t.Errorf("no message %q", k)
		}
	}
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/portal/payments?status=succeeded": "/portal/payments?status=succeeded",
		"":                                  "/portal/",
		"/portal/logout":                    "/portal/",
		"/account/":                         "/portal/",
		"//evil.example/portal/":            "/portal/",
		"https://evil.example/portal/":      "/portal/",
		"/portal/../account/":               "/portal/",
		"/portal/\r\nSet-Cookie:x":          "/portal/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
