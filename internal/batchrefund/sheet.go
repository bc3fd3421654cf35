package batchrefund

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	xunicode "golang.org/x/text/encoding/unicode"

	"paygate/internal/errs"
)

// The columns of a sheet, and the names a header cell may use for them
// (compared case-insensitively, as the whole cell or one word of it, so
// "商户订单号 merchant_order_no", "Merchant Order No" and "订单号" all name
// the order column).
const (
	colOrder = iota
	colAmount
	colRefundNo
	colReason
	numCols
)

var columnNames = [numCols][]string{
	colOrder:    {"商户订单号", "merchant_order_no", "订单号", "order_no"},
	colAmount:   {"退款金额", "refund_amount", "金额", "amount"},
	colRefundNo: {"退款单号", "merchant_refund_no", "商户退款单号", "refund_no"},
	colReason:   {"退款原因", "reason", "原因", "refund_reason"},
}

// headerLabels is the header the template and the results write.
var headerLabels = [numCols]string{
	colOrder:    "商户订单号 merchant_order_no",
	colAmount:   "退款金额 refund_amount",
	colRefundNo: "退款单号 merchant_refund_no (选填 optional)",
	colReason:   "退款原因 reason (选填 optional)",
}

// maxHeaderSearch is how many non-blank rows may come before the header
// (a title, say).
const maxHeaderSearch = 10

// limits bound what a sheet may hold.
type limits struct {
	maxLines int
	maxBytes int64
}

// sheetError is an [ErrSheetInvalid] that says what is wrong.
func sheetError(format string, args ...any) error {
	return errs.E(errs.Invalid, "refund_sheet_invalid", fmt.Sprintf(format, args...))
}

// readSheet reads the lines of a sheet, XLSX (the first worksheet) or CSV,
// told apart by content and then by file name. Blank lines are skipped;
// each line keeps its row number in the sheet. Cells are trimmed and kept
// as text: nothing is evaluated. Errors are [ErrSheetInvalid].
func readSheet(fileName string, data []byte, lim limits) ([]Line, error) {
	if int64(len(data)) > lim.maxBytes {
		return nil, sheetError("The file is larger than %d MiB; split it into several sheets.", lim.maxBytes>>20)
	}
	ext := strings.ToLower(path.Ext(strings.ReplaceAll(fileName, `\`, "/")))
	var rows rowReader
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		r, err := openXLSX(data, lim)
		if err != nil {
			return nil, err
		}
		defer r.close()
		rows = r
	case bytes.HasPrefix(data, []byte("\xd0\xcf\x11\xe0")):
		return nil, sheetError("This is an XLS (Excel 97–2003) or password-protected file: save the sheet as XLSX or CSV, without a password.")
	case ext == ".xlsx" || ext == ".xlsm":
		return nil, sheetError("The file is named %s but is not an XLSX workbook.", ext)
	case len(bytes.TrimSpace(data)) == 0:
		return nil, sheetError("The file is empty.")
	default:
		r, err := openCSV(data)
		if err != nil {
			return nil, err
		}
		rows = r
	}
	return readLines(rows, lim)
}

// rowReader yields a sheet's rows in order with their row numbers.
type rowReader interface {
	next() (no int, cells []string, err error) // io.EOF at the end
}

func readLines(rows rowReader, lim limits) ([]Line, error) {
	var (
		cols    [numCols]int
		header  bool
		nonBlnk int
		lines   []Line
	)
	for {
		no, cells, err := rows.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		for i := range cells {
			cells[i] = clean(cells[i])
		}
		if blank(cells) {
			continue
		}
		if !header {
			c, ok, err := findColumns(cells)
			if err != nil {
				return nil, err
			}
			if ok {
				cols, header = c, true
				continue
			}
			if nonBlnk++; nonBlnk >= maxHeaderSearch {
				break
			}
			continue
		}
		if len(lines) == lim.maxLines {
			return nil, sheetError("The sheet has more than %d lines; split it into several sheets.", lim.maxLines)
		}
		cell := func(c int) string {
			if cols[c] < 0 || cols[c] >= len(cells) {
				return ""
			}
			return cells[cols[c]]
		}
		lines = append(lines, Line{
			No: no, MerchantOrderNo: cell(colOrder), AmountText: cell(colAmount),
			MerchantRefundNo: cell(colRefundNo), Reason: cell(colReason),
		})
	}
	if !header {
		return nil, sheetError("No header row: the first row must name the columns %q and %q (download the template).",
			headerLabels[colOrder], headerLabels[colAmount])
	}
	if len(lines) == 0 {
		return nil, sheetError("The sheet has no lines below its header.")
	}
	return lines, nil
}

// findColumns reads cells as a header: ok when they name at least the
// required columns (order number and amount).
func findColumns(cells []string) (cols [numCols]int, ok bool, err error) {
	for i := range cols {
		cols[i] = -1
	}
	for i, cell := range cells {
		c := columnOf(cell)
		if c < 0 {
			continue
		}
		if cols[c] >= 0 {
			return cols, false, sheetError("The header names the column %q twice.", headerLabels[c])
		}
		cols[c] = i
	}
	return cols, cols[colOrder] >= 0 && cols[colAmount] >= 0, nil
}

// columnOf returns the column a header cell names, or -1.
func columnOf(cell string) int {
	cell = strings.ToLower(cell)
	words := strings.FieldsFunc(cell, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("()（）/|:：,，、[]【】", r)
	})
	candidates := append(words, strings.Join(strings.Fields(cell), "_"))
	for c, names := range columnNames {
		for _, w := range candidates {
			for _, n := range names {
				if w == n {
					return c
				}
			}
		}
	}
	return -1
}

// clean trims a cell: spaces (also no-break and ideographic ones), and
// byte order and zero-width marks.
func clean(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\ufeff' || r == '\u200b'
	})
}

func blank(cells []string) bool {
	for _, c := range cells {
		if c != "" {
			return false
		}
	}
	return true
}

// xlsxReader reads the first worksheet of a workbook.
type xlsxReader struct {
	f    *excelize.File
	rows *excelize.Rows
	no   int
}

func openXLSX(data []byte, lim limits) (*xlsxReader, error) {
	unzipped := max(64<<20, 8*lim.maxBytes) // against zip bombs
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		RawCellValue: true, UnzipSizeLimit: unzipped, UnzipXMLSizeLimit: min(unzipped, 16<<20),
	})
	if err != nil {
		return nil, sheetError("The file is not a readable XLSX workbook.")
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, sheetError("The workbook has no worksheet.")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, sheetError("The first worksheet cannot be read.")
	}
	return &xlsxReader{f: f, rows: rows}, nil
}

// next returns the next row. Cells are the raw values: what was typed, or a
// formula's last computed value, never the number format's rendering (a
// format of "0" would show 12.34 as 12).
func (r *xlsxReader) next() (int, []string, error) {
	if !r.rows.Next() {
		if err := r.rows.Error(); err != nil {
			return 0, nil, sheetError("The worksheet cannot be read after row %d.", r.no)
		}
		return 0, nil, io.EOF
	}
	r.no++
	cells, err := r.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return 0, nil, sheetError("Row %d of the worksheet cannot be read.", r.no)
	}
	return r.no, cells, nil
}

func (r *xlsxReader) close() {
	r.rows.Close()
	r.f.Close()
}

// csvReader reads CSV as Excel writes it: UTF-8 (with or without a byte
// order mark), GB18030/GBK (what Excel saves on Chinese Windows), or
// UTF-16 with a byte order mark ("Unicode text"); the separator is a comma,
// semicolon or tab, whichever the first line uses most.
type csvReader struct {
	r     *csv.Reader
	extra int // newlines inside quoted cells so far: rows = lines − extra
}

func openCSV(data []byte) (*csvReader, error) {
	text, err := decodeText(data)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = sniffSeparator(text)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	return &csvReader{r: r}, nil
}

// next returns the next record with its row number as a spreadsheet shows
// it: the line it starts on, less the line breaks inside earlier cells.
func (c *csvReader) next() (int, []string, error) {
	rec, err := c.r.Read()
	if err == io.EOF {
		return 0, nil, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return 0, nil, sheetError("Line %d of the CSV file cannot be read: %v.", pe.StartLine-c.extra, pe.Err)
		}
		return 0, nil, sheetError("The CSV file cannot be read.")
	}
	line, _ := c.r.FieldPos(0)
	no := line - c.extra
	for _, f := range rec {
		c.extra += strings.Count(f, "\n")
	}
	return no, rec, nil
}

func decodeText(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte("\xef\xbb\xbf")):
		data = data[3:]
	case bytes.HasPrefix(data, []byte("\xff\xfe")), bytes.HasPrefix(data, []byte("\xfe\xff")):
		b, err := xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil {
			return "", sheetError("The file is not valid UTF-16 text.")
		}
		return string(b), nil
	}
	if utf8.Valid(data) {
		return string(data), nil
	}
	b, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		return "", sheetError("The file is neither UTF-8 nor GBK text: save it as CSV UTF-8.")
	}
	return string(b), nil
}

func sniffSeparator(text string) rune {
	first, _, _ := strings.Cut(text, "\n")
	best, n := ',', strings.Count(first, ",")
	for _, sep := range []rune{';', '\t'} {
		if k := strings.Count(first, string(sep)); k > n {
			best, n = sep, k
		}
	}
	return best
}
