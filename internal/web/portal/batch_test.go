package portal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/staff"
	"paygate/internal/web/webtest"
)

// upload sends a refund sheet from the sheets page's form.
func (u *user) upload(t *testing.T, name string, data []byte) webtest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf_token", webtest.Hidden(u.get(t, "/portal/refunds?lang=en").Body).Get("csrf_token"))
	fw, err := mw.CreateFormFile("sheet", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, u.b.srv.URL+"/portal/refunds?lang=en", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return webtest.Do(t, u.c, req)
}

// batchStatus is the status page's poll answer.
type batchStatus struct {
	State     string `json:"state"`
	Done      bool   `json:"done"`
	Succeeded int    `json:"succeeded"`
	Failed    int    `json:"failed"`
	InFlight  int    `json:"in_flight"`
	Lines     []struct {
		No     int    `json:"no"`
		Status string `json:"status"`
	} `json:"lines"`
}

// waitBatch polls a sheet's status until it is done.
func (u *user) waitBatch(t *testing.T, batchID string, within time.Duration) batchStatus {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		res := u.get(t, "/portal/refunds/"+batchID+"/status?lang=en")
		wantStatus(t, "status", res, http.StatusOK)
		var s batchStatus
		if err := json.Unmarshal([]byte(res.Body), &s); err != nil {
			t.Fatalf("status %q: %v", res.Body, err)
		}
		if s.Done {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("sheet not done after %v: %+v", within, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var batchPathRE = regexp.MustCompile(`^/portal/refunds/(rfb_[0-9A-Z]+)\?lang=en$`)

// TestRefundSheet: finance downloads the template, uploads a sheet, reads
// the report (the bad line with its reason, nothing moved), confirms,
// follows the status until done, and downloads the results; the cards get
// the money back.
func TestRefundSheet(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		ps := b.paidMany(t, b.env.Merchant.ID, "TEA", 3, func(int) int64 { return 10_00 })
		b.newStaff(t, b.env.Merchant.ID, "finance@teashop.test", staff.Finance)
		u := b.login(t, "finance@teashop.test")

		res := u.get(t, "/portal/refunds?lang=en")
		wantStatus(t, "sheets page", res, http.StatusOK)
		webtest.MustContain(t, "sheets page", res.Body, `id="template-xlsx"`, `id="upload-form"`, `id="no-batches"`)
		res = u.get(t, "/portal/refunds/template.xlsx")
		wantStatus(t, "XLSX template", res, http.StatusOK)
		x, err := excelize.OpenReader(strings.NewReader(res.Body))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows(x.GetSheetName(0))
		x.Close()
		if len(rows) < 1 || !strings.Contains(strings.Join(rows[0], " "), "merchant_order_no") {
			t.Fatalf("template rows %v", rows)
		}
		res = u.get(t, "/portal/refunds/template.csv")
		if !strings.HasPrefix(res.Body, "\ufeff") || !strings.Contains(res.Body, "refund_amount") {
			t.Fatalf("CSV template %q", res.Body)
		}

		res = u.upload(t, "garbage.xlsx", []byte("PK\x03\x04 not really"))
		wantStatus(t, "unreadable file", res, http.StatusBadRequest)
		webtest.MustContain(t, "unreadable file", res.Body, `id="problem"`)

		before, balance := b.snapshot(t), b.env.BankBalance(t, cardOK)
		res = u.upload(t, "refunds.csv", []byte("商户订单号,退款金额,退款单号,退款原因\nTEA-00001,5.00,,退货\nTEA-00002,3.00\nNO-SUCH-ORDER,1.00\n"))
		wantStatus(t, "upload", res, http.StatusSeeOther)
		m := batchPathRE.FindStringSubmatch(res.Location)
		if m == nil {
			t.Fatalf("upload went to %q", res.Location)
		}
		batchID := m[1]
		res = u.get(t, res.Location)
		wantStatus(t, "report", res, http.StatusOK)
		webtest.MustContain(t, "report", res.Body, `id="nothing-moved"`, `id="count-good">2<`, `id="count-bad" class="bad-text">1<`,
			`data-line="4" data-problem="order_not_found"`, "Unknown order", `id="confirm-button"`, "¥8.00")
		if after := b.snapshot(t); strings.Count(after, "rfb_") != 1 || strings.Contains(after, "rf_") {
			t.Fatalf("validating moved something:\n%s", after)
		}
		_ = before
		if b.env.BankBalance(t, cardOK) != balance {
			t.Fatal("validating moved money")
		}

		res = u.submit(t, "/portal/refunds/"+batchID+"?lang=en", "/portal/refunds/"+batchID+"/confirm?lang=en", url.Values{})
		wantStatus(t, "confirm", res, http.StatusSeeOther)
		res = u.get(t, res.Location)
		wantStatus(t, "status page", res, http.StatusOK)
		s := u.waitBatch(t, batchID, 30*time.Second)
		if s.State != "done" || s.Succeeded != 2 || s.Failed != 0 || s.InFlight != 0 {
			t.Fatalf("done: %+v", s)
		}
		res = u.get(t, "/portal/refunds/"+batchID+"?lang=en")
		webtest.MustContain(t, "done page", res.Body, `id="done-note"`, `id="results-xlsx"`, `id="count-succeeded">2<`,
			`id="st-2">Succeeded<`, `id="st-3">Succeeded<`)
		if got := b.env.BankBalance(t, cardOK); got != balance+8_00 {
			t.Fatalf("card balance %d, want %d + 800", got, balance)
		}
		res = u.get(t, "/portal/refunds/"+batchID+"/results.csv")
		wantStatus(t, "results", res, http.StatusOK)
		results := readCSV(t, res.Body)
		if len(results) != 4 || !strings.Contains(strings.Join(results[1], ","), "succeeded") {
			t.Fatalf("results %v", results)
		}
		res = u.get(t, "/portal/refunds?lang=en")
		webtest.MustContain(t, "sheets page after", res.Body, `data-batch="`+batchID+`"`, "refunds.csv")
		if r, _ := b.env.Service.Refunds(context.Background(), b.env.Merchant.ID, ps[2].ID); len(r) != 0 {
			t.Fatal("an unlisted payment was refunded")
		}
	})
}
