package batchrefund

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Content types of the two formats.
const (
	contentTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	contentTypeCSV  = "text/csv; charset=utf-8"
)

// bom starts the CSV files we write, so that Excel reads them as UTF-8.
const bom = "\ufeff"

// notes is the template's second sheet: how to fill the first.
var notes = [][]string{
	{"批量退款模板 Refund sheet template"},
	{""},
	{"第一个工作表每行一笔退款，第一行是表头，请勿修改。", "One refund per line of the first worksheet, below its header row; keep the header."},
	{"商户订单号 merchant_order_no", "必填。原支付的商户订单号。 Required: the merchant order number of the payment to refund."},
	{"退款金额 refund_amount", "必填。单位：元，例如 12.34 或 1,234.50；不超过可退金额。 Required: yuan, e.g. 12.34 or 1,234.50; at most what is left to refund."},
	{"退款单号 merchant_refund_no (选填 optional)", "选填。同一订单内唯一；不填则由系统生成。 Optional: unique per order; generated when empty."},
	{"退款原因 reason (选填 optional)", "选填，最多 256 字。 Optional, at most 256 characters."},
	{""},
	{fmt.Sprintf("每个文件最多 %s 行、%d MiB；支持 XLSX 与 CSV（UTF-8 或 GBK）。", thousands(DefaultMaxLines), DefaultMaxBytes>>20),
		fmt.Sprintf("At most %s lines and %d MiB per file; XLSX or CSV (UTF-8 or GBK).", thousands(DefaultMaxLines), DefaultMaxBytes>>20)},
	{"上传后先逐行校验，确认前不会退款。", "Every line is checked first; nothing is refunded until you confirm."},
	{""},
	{"示例 Example"},
	{headerLabels[colOrder], headerLabels[colAmount], headerLabels[colRefundNo], headerLabels[colReason]},
	{"ORDER-20260101-0001", "12.34", "RF-0001", "顾客退货 returned"},
	{"ORDER-20260101-0002", "1,234.50", "", ""},
}

// Template returns the empty sheet to download, in format (XLSX or CSV),
// with its content type. The XLSX holds the header on its first worksheet,
// whose columns are formatted as text (so that long order numbers keep
// every digit), and notes with an example on a second one; the CSV is the
// header alone, in UTF-8 with a byte order mark.
func Template(format string) (data []byte, contentType string, err error) {
	header := headerLabels[:]
	switch format {
	case CSV:
		b, err := writeCSV([][]string{header})
		return b, contentTypeCSV, err
	case XLSX:
	default:
		return nil, "", fmt.Errorf("batchrefund: unknown format %q (want %q or %q)", format, XLSX, CSV)
	}
	f := excelize.NewFile()
	defer f.Close()
	const sheet, notesSheet = "退款 Refunds", "说明 Notes"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, "", err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": text
	if err != nil {
		return nil, "", err
	}
	bold, err := f.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return nil, "", err
	}
	steps := []func() error{
		func() error { return f.SetColStyle(sheet, "A:D", text) },
		func() error { return f.SetColWidth(sheet, "A", "B", 30) },
		func() error { return f.SetColWidth(sheet, "C", "D", 40) },
		func() error { return f.SetSheetRow(sheet, "A1", &header) },
		func() error { return f.SetCellStyle(sheet, "A1", "D1", bold) },
		func() error {
			return f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
		},
	}
	if _, err := f.NewSheet(notesSheet); err != nil {
		return nil, "", err
	}
	for i, row := range notes {
		steps = append(steps, func() error { return f.SetSheetRow(notesSheet, "A"+strconv.Itoa(i+1), &row) })
	}
	steps = append(steps, func() error { return f.SetColWidth(notesSheet, "A", "B", 48) })
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, "", fmt.Errorf("batchrefund: template: %w", err)
		}
	}
	f.SetActiveSheet(0)
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, "", fmt.Errorf("batchrefund: template: %w", err)
	}
	return buf.Bytes(), contentTypeXLSX, nil
}

// resultHeader is the header of the results sheet.
var resultHeader = []string{
	"行号 line", "商户订单号 merchant_order_no", "退款金额 amount", "退款单号 merchant_refund_no", "退款原因 reason",
	"结果 result", "代码 code", "说明 message", "退款编号 refund_id",
}

// Results returns the batch's lines with their outcome as a sheet in
// format (XLSX or CSV): one row per line with its result — rejected (at
// validation), ok (validated, not confirmed), discarded, queued, pending,
// processing, succeeded or failed — the problem code and message, and the
// refund id. The XLSX has a second worksheet with the batch's totals.
// Errors: [ErrBatchNotFound].
func (s *Service) Results(ctx context.Context, merchantID, batchID, format string) (data []byte, contentType string, err error) {
	if format != XLSX && format != CSV {
		return nil, "", fmt.Errorf("batchrefund: unknown format %q (want %q or %q)", format, XLSX, CSV)
	}
	b, lines, err := s.Get(ctx, merchantID, batchID)
	if err != nil {
		return nil, "", err
	}
	rows := make([][]string, 0, len(lines)+1)
	rows = append(rows, resultHeader)
	for _, l := range lines {
		amount := l.AmountText
		if l.Amount.Currency() != "" {
			amount = l.Amount.String()
		}
		rows = append(rows, []string{strconv.Itoa(l.No), l.MerchantOrderNo, amount, l.MerchantRefundNo, l.Reason,
			result(b, l), l.Problem, l.Message, l.RefundID})
	}
	if format == CSV {
		for _, row := range rows[1:] {
			for i := range row {
				row[i] = defuse(row[i])
			}
		}
		data, err := writeCSV(rows)
		return data, contentTypeCSV, err
	}
	data, err = writeResultsXLSX(b, rows)
	return data, contentTypeXLSX, err
}

// result is a line's outcome in words.
func result(b Batch, l Line) string {
	switch {
	case l.Status != "":
		return string(l.Status)
	case l.Problem != "":
		return "rejected"
	case b.State == Validated:
		return "ok"
	case b.State == Discarded:
		return "discarded"
	}
	return "queued"
}

func writeResultsXLSX(b Batch, rows [][]string) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet, summary = "结果 Results", "汇总 Summary"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	widths := []float64{8, 28, 14, 28, 30, 12, 26, 60, 32}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	vals := make([]any, len(resultHeader))
	for i, row := range rows {
		for j, v := range row {
			vals[j] = v
		}
		if i > 0 {
			vals[0], _ = strconv.Atoi(row[0]) // the line number as a number, to sort by
		}
		if err := sw.SetRow("A"+strconv.Itoa(i+1), vals); err != nil {
			return nil, err
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	if _, err := f.NewSheet(summary); err != nil {
		return nil, err
	}
	confirmed := ""
	if b.ConfirmedAt != nil {
		confirmed = b.ConfirmedAt.Format("2006-01-02 15:04:05Z")
	}
	for i, row := range [][]string{
		{"批次 batch", b.ID}, {"文件 file", b.FileName}, {"状态 state", b.State},
		{"上传 created_at", b.CreatedAt.Format("2006-01-02 15:04:05Z")}, {"确认 confirmed_at", confirmed},
		{"行数 lines", strconv.Itoa(b.Lines)}, {"可退 good", strconv.Itoa(b.Good)}, {"不可退 bad", strconv.Itoa(b.Bad)},
		{"合计 total", b.Total.Format()}, {"成功 succeeded", strconv.Itoa(b.Succeeded)}, {"失败 failed", strconv.Itoa(b.Failed)},
		{"已退 refunded", b.Refunded.Format()},
	} {
		if err := f.SetSheetRow(summary, "A"+strconv.Itoa(i+1), &row); err != nil {
			return nil, err
		}
	}
	if err := f.SetColWidth(summary, "A", "B", 32); err != nil {
		return nil, err
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeCSV writes rows as CSV in UTF-8 with a byte order mark and CRLF
// line ends, as Excel expects.
func writeCSV(rows [][]string) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(bom)
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	if err := w.WriteAll(rows); err != nil {
		return nil, fmt.Errorf("batchrefund: write csv: %w", err)
	}
	return buf.Bytes(), nil
}

// defuse keeps a spreadsheet from reading text written to a CSV file as a
// formula (CSV injection): text that starts like one gets a leading
// apostrophe, which Excel shows as text.
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// thousands writes n with comma separators: 10000 → "10,000".
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
