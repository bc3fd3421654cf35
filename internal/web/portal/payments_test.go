package portal_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/payment"
	"paygate/internal/staff"
	"paygate/internal/web/ui"
	"paygate/internal/web/webtest"
)

var paymentRowRE = regexp.MustCompile(`data-payment="(pay_[0-9A-Z]+)"`)

// rowIDs are the payments a search page lists, in order.
func rowIDs(body string) []string {
	var out []string
	for _, m := range paymentRowRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// searchData pays 60 payments of merchant A (1.00, 2.00, … 60.00 CNY),
// opens two unpaid ones, and pays three of merchant B.
type searchFixture struct {
	paid, unpaid, other []payment.Payment
}

func (b *testBundle) searchFixture(t *testing.T) searchFixture {
	t.Helper()
	var f searchFixture
	f.paid = b.paidMany(t, b.env.Merchant.ID, "TEA", 60, func(i int) int64 { return int64(i+1) * 100 })
	f.unpaid = []payment.Payment{b.created(t, b.env.Merchant.ID, "OPEN-1", 5_00), b.created(t, b.env.Merchant.ID, "OPEN-2", 7_00)}
	f.other = b.paidMany(t, b.other.ID, "TEA", 3, func(i int) int64 { return 10_00 })
	return f
}

func ids(ps []payment.Payment) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// TestSearchFiltersAndPaging: every filter narrows the merchant's own
// payments, paging walks them all newest first exactly once, and merchant
// B's payments never show, even under their own order number.
func TestSearchFiltersAndPaging(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		f := b.searchFixture(t)
		b.newStaff(t, b.env.Merchant.ID, "viewer@teashop.test", staff.Viewer)
		u := b.login(t, "viewer@teashop.test")
		today := time.Now().In(ui.ChinaTime).Format("2006-01-02")
		tomorrow := time.Now().In(ui.ChinaTime).AddDate(0, 0, 1).Format("2006-01-02")

		// Paging: 62 payments, 50 then 12, newest first, each once.
		res := u.get(t, "/portal/payments?lang=en")
		wantStatus(t, "first page", res, http.StatusOK)
		first := rowIDs(res.Body)
		next := regexp.MustCompile(`href="([^"]+)" id="next-page"`).FindStringSubmatch(res.Body)
		if len(first) != 50 || next == nil {
			t.Fatalf("first page: %d rows, next %v", len(first), next)
		}
		res = u.get(t, strings.ReplaceAll(next[1], "&amp;", "&"))
		wantStatus(t, "second page", res, http.StatusOK)
		second := rowIDs(res.Body)
		webtest.MustContain(t, "second page", res.Body, `id="first-page"`)
		webtest.MustNotContain(t, "second page", res.Body, `id="next-page"`)
		all := append(first, second...)
		want := append(ids(f.paid), ids(f.unpaid)...)
		slices.Sort(want)
		slices.Reverse(want)
		if !slices.Equal(all, want) {
			t.Fatalf("pages hold %d payments, want the merchant's %d newest first", len(all), len(want))
		}

		tests := []struct {
			name, query string
			want        []string
		}{
			{"Status", "status=created", ids(f.unpaid)},
			{"OrderNo", "order_no=TEA-00007", []string{f.paid[6].ID}},
			{"OtherMerchantsOrderNo", "order_no=TEA-00001&status=succeeded&min=10&max=10", nil},
			{"AmountRange", "min=10&max=12.00", ids(f.paid[9:12])},
			{"AmountWithSeparators", "min=1,000", nil},
			{"Today", "from=" + today + "&to=" + today + "&status=succeeded&max=3", ids(f.paid[:3])},
			{"Tomorrow", "from=" + tomorrow, nil},
			{"MethodBankcard", "method=bankcard&max=2", ids(f.paid[:2])},
			{"MethodAccount", "method=account", nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := u.get(t, "/portal/payments?lang=en&"+tt.query)
				wantStatus(t, tt.query, res, http.StatusOK)
				got := rowIDs(res.Body)
				wantIDs := slices.Clone(tt.want)
				slices.Sort(wantIDs)
				slices.Reverse(wantIDs)
				if !slices.Equal(got, wantIDs) {
					t.Fatalf("%s: %v, want %v", tt.query, got, wantIDs)
				}
				webtest.MustNotContain(t, tt.query, res.Body, ids(f.other)...)
			})
		}
		res = u.get(t, "/portal/payments?lang=en&from=2026-13-01&min=abc")
		wantStatus(t, "bad filter", res, http.StatusOK)
		webtest.MustContain(t, "bad filter", res.Body, `id="problem"`)
		if len(rowIDs(res.Body)) != 50 {
			t.Fatal("a bad filter part was not dropped")
		}
	})
}

// readCSV reads an export: UTF-8 with a BOM, a header, then rows.
func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	if !strings.HasPrefix(body, "\ufeff") {
		t.Fatal("CSV without the byte order mark")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// readXLSX reads an export's first sheet, raw cell values.
func readXLSX(t *testing.T, body string) (*excelize.File, string, [][]string) {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	sheet := x.GetSheetName(0)
	rows, err := x.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows { // GetRows drops trailing empty cells
		for len(rows[i]) < len(rows[0]) {
			rows[i] = append(rows[i], "")
		}
	}
	return x, sheet, rows
}

// TestExports: the CSV and XLSX exports of a filter hold the same rows —
// the merchant's matching payments, amounts exact from minor units — and
// never merchant B's; XLSX amounts are numeric cells with two decimals.
func TestExports(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		f := b.searchFixture(t)
		big := b.paid(t, b.env.Merchant.ID, "=HYPERLINK(1)", 123_456_78)
		b.newStaff(t, b.env.Merchant.ID, "viewer@teashop.test", staff.Viewer)
		u := b.login(t, "viewer@teashop.test")

		for _, query := range []string{"", "status=succeeded&min=30&max=40.5", "order_no=TEA-00001"} {
			t.Run(query, func(t *testing.T) {
				res := u.get(t, "/portal/payments.csv?lang=en&"+query)
				wantStatus(t, "CSV", res, http.StatusOK)
				if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" ||
					!strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
					t.Fatalf("CSV headers %q %q", ct, res.Header.Get("Content-Disposition"))
				}
				csvRows := readCSV(t, res.Body)
				res = u.get(t, "/portal/payments.xlsx?lang=en&"+query)
				wantStatus(t, "XLSX", res, http.StatusOK)
				x, sheet, xlsxRows := readXLSX(t, res.Body)
				// The same cells, but CSV defuses text a spreadsheet would
				// run as a formula; XLSX stores it as text, which is never run.
				for _, row := range xlsxRows {
					for i, c := range row {
						row[i] = ui.SafeCell(c)
					}
				}
				if fmt.Sprint(csvRows) != fmt.Sprint(xlsxRows) {
					t.Fatalf("CSV and XLSX differ:\n%v\n%v", csvRows, xlsxRows)
				}
				if len(csvRows) < 2 || !strings.Contains(csvRows[0][0], "payment_id") || csvRows[0][6] != "金额 amount" {
					t.Fatalf("header %v", csvRows[0])
				}
				// The rows are the search's, all of them.
				s, _, err := b.env.Service.Search(context.Background(), b.env.Merchant.ID, searchFilter(t, query))
				if err != nil {
					t.Fatal(err)
				}
				if len(csvRows)-1 != len(s) {
					t.Fatalf("export has %d rows, search %d", len(csvRows)-1, len(s))
				}
				for i, p := range s {
					row := csvRows[i+1]
					if row[0] != p.ID || row[6] != p.Amount.String() || row[5] != "CNY" || row[4] != string(p.Status) {
						t.Fatalf("row %d = %v, want %s %s", i+1, row, p.ID, p.Amount)
					}
				}
				for _, other := range f.other {
					if strings.Contains(fmt.Sprint(csvRows), other.ID) {
						t.Fatalf("the export holds merchant B's %s", other.ID)
					}
				}
				if len(s) > 0 {
					if typ, _ := x.GetCellType(sheet, "G2"); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
						t.Fatalf("amount cell type %v", typ)
					}
				}
			})
		}
		// The big one: exact, formatted with separators, its order number
		// text (not a formula) in XLSX and defused in CSV.
		if csvRows := readCSV(t, u.get(t, "/portal/payments.csv?order_no="+url.QueryEscape(big.MerchantOrderNo)).Body); len(csvRows) != 2 || csvRows[1][1] != "'=HYPERLINK(1)" {
			t.Fatalf("CSV rows %v", csvRows)
		}
		res := u.get(t, "/portal/payments.xlsx?order_no="+url.QueryEscape(big.MerchantOrderNo))
		x, sheet, rows := readXLSX(t, res.Body)
		if len(rows) != 2 || rows[1][1] != "=HYPERLINK(1)" || rows[1][6] != "123456.78" {
			t.Fatalf("rows %v", rows)
		}
		if shown, _ := x.GetCellValue(sheet, "G2"); shown != "123,456.78" {
			t.Fatalf("amount shown as %q", shown)
		}
		if f, _ := x.GetCellFormula(sheet, "B2"); f != "" {
			t.Fatalf("order number became formula %q", f)
		}
	})
}

// searchFilter is the filter of an export query, as the portal reads it.
func searchFilter(t *testing.T, query string) payment.SearchFilter {
	t.Helper()
	q, _ := url.ParseQuery(query)
	var f payment.SearchFilter
	f.Status = payment.Status(q.Get("status"))
	f.MerchantOrderNo = q.Get("order_no")
	for _, b := range []struct {
		key string
		to  *int64
	}{{"min", new(int64)}, {"max", new(int64)}} {
		if s := q.Get(b.key); s != "" {
			a, err := ui.ParseAmount(s, "CNY", 12)
			if err != nil {
				t.Fatal(err)
			}
			if b.key == "min" {
				f.MinAmount = a
			} else {
				f.MaxAmount = a
			}
		}
	}
	f.Limit = payment.MaxSearchLimit
	return f
}
