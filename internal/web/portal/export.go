package portal

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"

	"github.com/xuri/excelize/v2"

	"paygate/internal/money"
	"paygate/internal/payment"
	"paygate/internal/web/ui"
)

// exportRow is one payment in an export: text cells, amounts as decimal
// strings made from minor units (never floats).
type exportRow struct {
	cells   []string
	amounts map[int]money.Amount // column → amount, for numeric XLSX cells
}

// exportHeader names the export's columns in both languages, so that a
// program reads any export the same way. Times are local (Deps.Location).
func (h *Handler) exportHeader() []string {
	zone := h.loc.String()
	return []string{"支付编号 payment_id", "商户订单号 merchant_order_no", "创建时间 created_at (" + zone + ")",
		"支付时间 paid_at (" + zone + ")", "状态 status", "币种 currency", "金额 amount", "手续费 fee", "已退款 refunded",
		"支付方式 method", "商品 subject", "付款人邮箱 payer_email"}
}

// Amount columns of the export.
const (
	colAmount   = 6
	colFee      = 7
	colRefunded = 8
)

// exportRows reads every payment the filter selects, at most
// Deps.MaxExportRows; tooMany is set when there are more.
func (h *Handler) exportRows(r *http.Request, u who) (rows []exportRow, tooMany bool, err error) {
	ctx := r.Context()
	_, f, _ := parseSearch(r.URL.Query(), h.loc, h.d.Currency)
	f.After = ""
	for {
		f.Limit = min(payment.MaxSearchLimit, h.d.MaxExportRows-len(rows)+1)
		list, next, err := h.d.Payments.Search(ctx, u.MerchantID, f)
		if err != nil {
			return nil, false, err
		}
		paid, err := h.paidMethods(r, u, list)
		if err != nil {
			return nil, false, err
		}
		for _, p := range list {
			rows = append(rows, exportRow{
				cells: []string{p.ID, p.MerchantOrderNo, h.formatTime(p.CreatedAt), h.formatTimePtr(p.PaidAt),
					string(p.Status), string(p.Amount.Currency()), p.Amount.String(), p.Fee.String(), p.Refunded.String(),
					paid[p.ID], p.Subject, p.PayerEmail},
				amounts: map[int]money.Amount{colAmount: p.Amount, colFee: p.Fee, colRefunded: p.Refunded},
			})
		}
		if len(rows) > h.d.MaxExportRows {
			return nil, true, nil
		}
		if next == "" {
			return rows, false, nil
		}
		f.After = next
	}
}

// exportName is the file name of an export made now.
func (h *Handler) exportName(u who, ext string) string {
	return fmt.Sprintf("payments-%s-%s.%s", u.MerchantID, h.d.Clock.Now().In(h.loc).Format("20060102-150405"), ext)
}

// exportTooMany answers an export over the limit.
func (h *Handler) exportTooMany(w http.ResponseWriter, r *http.Request, u who) {
	v := h.userView(r, u, "title_export_too_big", "payments")
	v.Heading, v.Body, v.Tone = v.Title, v.T("export_too_big", h.d.MaxExportRows), "warn"
	v.Link, v.LinkText = "/portal/payments?"+r.URL.RawQuery, v.T("back_search")
	h.render(w, r, http.StatusUnprocessableEntity, "message", v)
}

// exportCSV downloads the search result as CSV: UTF-8 with a byte order
// mark (so that Excel reads Chinese right), amounts as decimal text.
func (h *Handler) exportCSV(w http.ResponseWriter, r *http.Request, u who) {
	rows, tooMany, err := h.exportRows(r, u)
	switch {
	case err != nil:
		h.failed(w, r, u, err)
		return
	case tooMany:
		h.exportTooMany(w, r, u)
		return
	}
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	cw := csv.NewWriter(&buf)
	cw.Write(h.exportHeader())
	for _, row := range rows {
		// Text a spreadsheet would run as a formula is defused in CSV; the
		// XLSX writer stores cells as text, which is never run.
		safe := make([]string, len(row.cells))
		for i, c := range row.cells {
			safe[i] = ui.SafeCell(c)
		}
		cw.Write(safe)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		h.internalError(w, r, err)
		return
	}
	h.log.InfoContext(r.Context(), "portal: export", "staff_id", u.ID, "merchant_id", u.MerchantID, "format", "csv", "rows", len(rows))
	download(w, "text/csv; charset=utf-8", h.exportName(u, "csv"), buf.Bytes())
}

// contentTypeXLSX is the type of an XLSX file.
const contentTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// exportXLSX downloads the search result as XLSX: text cells, and amounts
// as numeric cells with the currency's decimals, written from the decimal
// text of their minor units.
func (h *Handler) exportXLSX(w http.ResponseWriter, r *http.Request, u who) {
	rows, tooMany, err := h.exportRows(r, u)
	switch {
	case err != nil:
		h.failed(w, r, u, err)
		return
	case tooMany:
		h.exportTooMany(w, r, u)
		return
	}
	b, err := h.writeXLSX(rows)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	h.log.InfoContext(r.Context(), "portal: export", "staff_id", u.ID, "merchant_id", u.MerchantID, "format", "xlsx", "rows", len(rows))
	download(w, contentTypeXLSX, h.exportName(u, "xlsx"), b)
}

func (h *Handler) writeXLSX(rows []exportRow) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "支付 Payments"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	header := h.exportHeader()
	hcells := make([]any, len(header))
	for i, s := range header {
		hcells[i] = s
	}
	if err := f.SetSheetRow(sheet, "A1", &hcells); err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	last, _ := excelize.CoordinatesToCellName(len(header), 1)
	if err := f.SetCellStyle(sheet, "A1", last, bold); err != nil {
		return nil, err
	}
	styles := map[int]int{} // currency exponent → style
	for i, row := range rows {
		n := i + 2
		for c, s := range row.cells {
			cell, _ := excelize.CoordinatesToCellName(c+1, n)
			a, isAmount := row.amounts[c]
			if !isAmount {
				if err := f.SetCellStr(sheet, cell, s); err != nil {
					return nil, err
				}
				continue
			}
			// A numeric cell from the exact decimal text: no float on the
			// way.
			if err := f.SetCellDefault(sheet, cell, a.String()); err != nil {
				return nil, err
			}
			exp := a.Currency().Exponent()
			style, ok := styles[exp]
			if !ok {
				format := "#,##0"
				if exp > 0 {
					format += "." + strings.Repeat("0", exp)
				}
				if style, err = f.NewStyle(&excelize.Style{CustomNumFmt: &format}); err != nil {
					return nil, err
				}
				styles[exp] = style
			}
			if err := f.SetCellStyle(sheet, cell, cell, style); err != nil {
				return nil, err
			}
		}
	}
	for c, width := range []float64{30, 24, 20, 20, 11, 8, 14, 10, 12, 10, 28, 26} {
		col, _ := excelize.ColumnNumberToName(c + 1)
		if err := f.SetColWidth(sheet, col, col, width); err != nil {
			return nil, err
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// download sends a file to save.
func download(w http.ResponseWriter, contentType, name string, b []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Write(b)
}
