package batchrefund

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	xunicode "golang.org/x/text/encoding/unicode"

	"paygate/internal/money"
)

var update = flag.Bool("update", false, "rewrite the .golden files in testdata")

var testLimits = limits{maxLines: DefaultMaxLines, maxBytes: DefaultMaxBytes}

// cells is what a test compares of a line as read.
type cells struct {
	No                              int
	Order, Amount, RefundNo, Reason string
}

func cellsOf(lines []Line) []cells {
	var out []cells
	for _, l := range lines {
		out = append(out, cells{l.No, l.MerchantOrderNo, l.AmountText, l.MerchantRefundNo, l.Reason})
	}
	return out
}

// mustXLSX writes rows to the first worksheet of a new workbook; a cell
// given as a float64 or int is written as a number.
func mustXLSX(t testing.TB, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		if err := f.SetSheetRow("Sheet1", "A"+strconv.Itoa(i+1), &row); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestNormalizeAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, dec, problem string
	}{
		{"12.34", "12.34", ""},
		{"12", "12", ""},
		{"0.5", "0.5", ""},
		{"1,234.50", "1234.50", ""},
		{"1,234,567", "1234567", ""},
		{"¥12.34", "12.34", ""},
		{"￥1,000", "1000", ""},
		{"12.34元", "12.34", ""},
		{"'12.34", "12.34", ""},
		{"12.345", "12.345", ""}, // decimals are checked against the currency later
		{"-5.00", "", ProblemAmountNotPositive},
		{"-¥5", "", ProblemAmountNotPositive},
		{"¥-5", "", ProblemAmountNotPositive},
		{"－5", "", ProblemAmountNotPositive},
		{"", "", ProblemAmountMalformed},
		{"abc", "", ProblemAmountMalformed},
		{"12.3.4", "", ProblemAmountMalformed},
		{"12,34", "", ProblemAmountMalformed},
		{"1,2345.00", "", ProblemAmountMalformed},
		{",123", "", ProblemAmountMalformed},
		{"1e3", "", ProblemAmountMalformed},
		{"=1+1", "", ProblemAmountMalformed},
		{"+5", "", ProblemAmountMalformed},
		{".5", "", ProblemAmountMalformed},
		{"5.", "", ProblemAmountMalformed},
		{"012", "", ProblemAmountMalformed},
		{"12 34", "", ProblemAmountMalformed},
		{"--5", "", ProblemAmountMalformed},
		{"NaN", "", ProblemAmountMalformed},
		{"99999999999999999999", "", ProblemAmountMalformed},
	}
	for _, tt := range tests {
		dec, problem, msg := normalizeAmount(tt.in)
		if dec != tt.dec || problem != tt.problem || (problem != "") != (msg != "") {
			t.Errorf("normalizeAmount(%q) = %q, %q, %q; want %q, %q", tt.in, dec, problem, msg, tt.dec, tt.problem)
		}
	}
}

func TestParseAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dec     string
		cur     money.Currency
		minor   int64
		problem string
	}{
		{"12.34", money.CNY, 1234, ""},
		{"12.3", money.CNY, 1230, ""},
		{"1234.50", money.CNY, 123450, ""},
		{"12", money.JPY, 12, ""},
		{"12.345", money.CNY, 0, ProblemAmountMalformed},
		{"12.5", money.JPY, 0, ProblemAmountMalformed},
		{"12.340000000000002", money.CNY, 0, ProblemAmountMalformed},
		{"0", money.CNY, 0, ProblemAmountNotPositive},
		{"0.00", money.CNY, 0, ProblemAmountNotPositive},
	}
	for _, tt := range tests {
		a, problem, _ := parseAmount(tt.dec, tt.cur)
		if problem != tt.problem || (problem == "" && a != money.New(tt.minor, tt.cur)) {
			t.Errorf("parseAmount(%q, %s) = %v, %q; want %d, %q", tt.dec, tt.cur, a, problem, tt.minor, tt.problem)
		}
	}
	// A formula's floating-point noise gets a hint.
	if _, _, msg := parseAmount("12.340000000000002", money.CNY); !strings.Contains(msg, "ROUND") {
		t.Errorf("message for float noise = %q, want a hint to ROUND", msg)
	}
}

// TestHeader: the header is found by its names, in Chinese or English,
// in any order and case, after a title row; unknown columns are ignored.
func TestHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		header string
		row    string
		want   cells
	}{
		{"Template", strings.Join(headerLabels[:], ","), "A1,12.34,R1,why", cells{2, "A1", "12.34", "R1", "why"}},
		{"Chinese", "商户订单号,退款金额,退款单号,退款原因", "A1,12.34,R1,why", cells{2, "A1", "12.34", "R1", "why"}},
		{"English", "merchant_order_no,refund_amount,merchant_refund_no,reason", "A1,12.34,R1,why", cells{2, "A1", "12.34", "R1", "why"}},
		{"AnyOrderAndCase", "Reason,REFUND_AMOUNT,Merchant Order No", "why,12.34,A1", cells{2, "A1", "12.34", "", "why"}},
		{"ShortNames", "订单号,金额,note", "A1,12.34,ignored", cells{2, "A1", "12.34", "", ""}},
		{"FullWidthParens", "商户订单号,退款金额,退款单号（选填）", "A1,1,R", cells{2, "A1", "1", "R", ""}},
		{"RequiredOnly", "merchant_order_no,refund_amount", "A1,1", cells{2, "A1", "1", "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lines, err := readSheet("x.csv", []byte(tt.header+"\n"+tt.row+"\n"), testLimits)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]cells{tt.want}, cellsOf(lines)); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("AfterTitle", func(t *testing.T) {
		t.Parallel()
		lines, err := readSheet("x.csv", []byte("退款清单 2026-01\n\norder_no,amount\nA1,1\n"), testLimits)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]cells{{4, "A1", "1", "", ""}}, cellsOf(lines)); diff != "" {
			t.Errorf("lines (-want +got):\n%s", diff)
		}
	})
}

// TestSheetErrors: a file that is not a refund sheet is one clear error.
func TestSheetErrors(t *testing.T) {
	t.Parallel()
	many := "order_no,amount\n" + strings.Repeat("A,1\n", 11)
	tests := []struct {
		name, file string
		data       []byte
		lim        limits
		want       string // in the message
	}{
		{"Empty", "x.csv", nil, testLimits, "empty"},
		{"NoHeader", "x.csv", []byte("A1,12.34\nA2,1\n"), testLimits, "No header"},
		{"AmountColumnMissing", "x.csv", []byte("merchant_order_no,reason\nA1,x\n"), testLimits, "No header"},
		{"HeaderOnly", "x.csv", []byte(strings.Join(headerLabels[:], ",") + "\n\n"), testLimits, "no lines"},
		{"ColumnTwice", "x.csv", []byte("order_no,amount,订单号\nA,1,B\n"), testLimits, "twice"},
		{"TooManyLines", "x.csv", []byte(many), limits{maxLines: 10, maxBytes: 1 << 20}, "more than 10 lines"},
		{"TooLarge", "x.csv", []byte(many), limits{maxLines: 100, maxBytes: 10}, "larger than"},
		{"XLS", "x.xls", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest"), testLimits, "XLS"},
		{"NotXLSX", "x.xlsx", []byte("order_no,amount\nA,1\n"), testLimits, "not an XLSX"},
		{"BrokenZip", "x.xlsx", []byte("PK\x03\x04garbage"), testLimits, "not a readable XLSX"},
		{"BadQuote", "x.csv", []byte("order_no,amount\n\"A,1\nB\"x,2\n"), testLimits, "cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := readSheet(tt.file, tt.data, tt.lim)
			if !errors.Is(err, ErrSheetInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("readSheet = %v; want ErrSheetInvalid saying %q", err, tt.want)
			}
		})
	}
}

// TestCSVEncodings: CSV as Excel and others save it.
func TestCSVEncodings(t *testing.T) {
	t.Parallel()
	const text = "商户订单号,退款金额,退款原因\r\n订单-1,12.34,质量问题\r\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	utf16, err := xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM).NewEncoder().Bytes([]byte(strings.ReplaceAll(text, ",", "\t")))
	if err != nil {
		t.Fatal(err)
	}
	want := []cells{{2, "订单-1", "12.34", "", "质量问题"}}
	for name, data := range map[string][]byte{
		"UTF8":      []byte(text),
		"UTF8BOM":   []byte("\ufeff" + text),
		"GBK":       gbk,
		"UTF16Tabs": utf16,
		"Semicolon": []byte(strings.ReplaceAll(text, ",", ";")),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			lines, err := readSheet("refunds.csv", data, testLimits)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, cellsOf(lines)); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRowNumbers: lines keep the row numbers a spreadsheet shows, past
// blank lines and cells that span lines; cells are trimmed and formulas
// are text.
func TestRowNumbers(t *testing.T) {
	t.Parallel()
	data := "order_no,amount,reason\r\n" +
		"A1, 12.34 ,\"two\nlines\"\r\n" +
		"\r\n" +
		",,\r\n" +
		"\"=HYPERLINK(\"\"x\"\")\",=1+1,\u3000why\u00a0\r\n" +
		"A4,1\r\n"
	lines, err := readSheet("x.csv", []byte(data), testLimits)
	if err != nil {
		t.Fatal(err)
	}
	want := []cells{
		{2, "A1", "12.34", "", "two\nlines"},
		{5, `=HYPERLINK("x")`, "=1+1", "", "why"},
		{6, "A4", "1", "", ""},
	}
	if diff := cmp.Diff(want, cellsOf(lines)); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

// TestXLSX: raw values are read (not the number format's rendering), numbers
// too, from the first worksheet, with blank rows skipped.
func TestXLSX(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	defer f.Close()
	rows := [][]any{
		{"Merchant_Order_No", "Refund_Amount", "Merchant_Refund_No"},
		{"A1", 12.34, "R1"},
		{},
		{12345678, 1234.5, nil},
		{"A3", "1,234.50", " r3 "},
	}
	for i, row := range rows {
		if err := f.SetSheetRow("Sheet1", "A"+strconv.Itoa(i+1), &row); err != nil {
			t.Fatal(err)
		}
	}
	// Displayed as "12" and "1,234.50": the raw values count.
	round, err := f.NewStyle(&excelize.Style{NumFmt: 1}) // "0"
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStyle("Sheet1", "B2", "B4", round); err != nil {
		t.Fatal(err)
	}
	if _, err := f.NewSheet("Other"); err != nil {
		t.Fatal(err)
	}
	if err := f.SetSheetRow("Other", "A1", &[]any{"order_no", "amount"}); err != nil {
		t.Fatal(err)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	lines, err := readSheet("upload", buf.Bytes(), testLimits) // no extension: told by content
	if err != nil {
		t.Fatal(err)
	}
	want := []cells{
		{2, "A1", "12.34", "R1", ""},
		{4, "12345678", "1234.5", "", ""},
		{5, "A3", "1,234.50", "r3", ""},
	}
	if diff := cmp.Diff(want, cellsOf(lines)); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

// TestTemplateRoundTrip: a template filled in and uploaded reads back.
func TestTemplateRoundTrip(t *testing.T) {
	t.Parallel()
	filled := [][]string{
		{"ORDER-1", "12.34", "RF-1", "退货 returned"},
		{"ORDER-2", "1,234.50", "", ""},
		{"00012345678901234567", "0.01", "", "leading zeros stay"},
	}
	want := []cells{
		{2, "ORDER-1", "12.34", "RF-1", "退货 returned"},
		{3, "ORDER-2", "1,234.50", "", ""},
		{4, "00012345678901234567", "0.01", "", "leading zeros stay"},
	}
	t.Run("XLSX", func(t *testing.T) {
		t.Parallel()
		data, ct, err := Template(XLSX)
		if err != nil || ct != contentTypeXLSX {
			t.Fatalf("Template(XLSX) = %s, %v", ct, err)
		}
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) != 2 || !strings.Contains(sheets[1], "Notes") {
			t.Fatalf("sheets = %q, want the refunds and the notes", sheets)
		}
		if lines, err := readSheet("template.xlsx", data, testLimits); !errors.Is(err, ErrSheetInvalid) || lines != nil {
			t.Fatalf("the empty template reads as %v, %v; want no lines", lines, err)
		}
		for i, row := range filled {
			if err := f.SetSheetRow(sheets[0], "A"+strconv.Itoa(i+2), &row); err != nil {
				t.Fatal(err)
			}
		}
		buf, err := f.WriteToBuffer()
		if err != nil {
			t.Fatal(err)
		}
		lines, err := readSheet("template.xlsx", buf.Bytes(), testLimits)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, cellsOf(lines)); diff != "" {
			t.Errorf("lines (-want +got):\n%s", diff)
		}
	})
	t.Run("CSV", func(t *testing.T) {
		t.Parallel()
		data, ct, err := Template(CSV)
		if err != nil || ct != contentTypeCSV || !bytes.HasPrefix(data, []byte("\xef\xbb\xbf商户订单号 merchant_order_no,")) {
			t.Fatalf("Template(CSV) = %q, %s, %v", data, ct, err)
		}
		for _, row := range filled {
			b, err := writeCSV([][]string{row})
			if err != nil {
				t.Fatal(err)
			}
			data = append(data, b[len(bom):]...)
		}
		lines, err := readSheet("template.csv", data, testLimits)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, cellsOf(lines)); diff != "" {
			t.Errorf("lines (-want +got):\n%s", diff)
		}
	})
	if _, _, err := Template("pdf"); err == nil {
		t.Error("Template(pdf) succeeded")
	}
}

// TestTestdata reads the sample sheets in testdata and compares them with
// their .golden line lists (go test -run TestTestdata -update rewrites them).
func TestTestdata(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/*.csv")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var got strings.Builder
		lines, err := readSheet(filepath.Base(file), data, testLimits)
		if err != nil {
			got.WriteString("error: " + err.Error() + "\n")
		}
		for _, l := range lines {
			dec, problem, _ := normalizeAmount(l.AmountText)
			got.WriteString(strconv.Itoa(l.No) + "\t" + strconv.Quote(l.MerchantOrderNo) + "\t" + strconv.Quote(l.AmountText) + "\t" +
				strconv.Quote(l.MerchantRefundNo) + "\t" + strconv.Quote(l.Reason) + "\t" + dec + problem + "\n")
		}
		golden := strings.TrimSuffix(file, ".csv") + ".golden"
		if *update {
			if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), got.String()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", file, diff)
		}
	}
}

// FuzzReadSheet: any file reads as lines or one ErrSheetInvalid, never a
// panic, within the limits.
func FuzzReadSheet(f *testing.F) {
	tmpl, _, _ := Template(CSV)
	f.Add("x.csv", tmpl)
	f.Add("x.csv", []byte("order_no,amount\nA,1\n\"B\nC\",2\n"))
	f.Add("x.csv", []byte("order_no;amount\r\nA;-1\r\n"))
	f.Add("x.xlsx", mustXLSX(f, [][]any{{"order_no", "amount"}, {"A", 1.5}}))
	if files, err := filepath.Glob("testdata/*.csv"); err == nil {
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(filepath.Base(file), data)
			}
		}
	}
	lim := limits{maxLines: 50, maxBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		lines, err := readSheet(name, data, lim)
		if err != nil {
			if !errors.Is(err, ErrSheetInvalid) {
				t.Fatalf("error %v is not ErrSheetInvalid", err)
			}
			return
		}
		if len(lines) == 0 || len(lines) > lim.maxLines {
			t.Fatalf("%d lines", len(lines))
		}
		prev := 0
		for _, l := range lines {
			if l.No <= prev {
				t.Fatalf("line numbers not increasing: %d after %d", l.No, prev)
			}
			prev = l.No
			if dec, problem, _ := normalizeAmount(l.AmountText); problem == "" {
				if _, err := money.Parse(dec, decimalProbe); err != nil && !errors.Is(err, money.ErrPrecision) {
					t.Fatalf("normalizeAmount(%q) = %q, which money.Parse rejects: %v", l.AmountText, dec, err)
				}
			}
		}
	})
}
