package accountweb

import (
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"slices"
	"strings"

	"paygate/internal/account"
	"paygate/internal/ledger"
	"paygate/internal/money"
	"paygate/internal/web/ui"
)

// maxStatementLines bounds one statement; a longer period must be split.
const maxStatementLines = 20_000

var errTooManyLines = errors.New("too many lines for one statement")

// statementLines returns every line matching f, oldest first.
func (h *Handler) statementLines(ctx context.Context, accountID string, f ledger.HistoryFilter) ([]ledger.Line, error) {
	var lines []ledger.Line
	f.Before, f.Limit = 0, 1000
	for {
		p, err := h.history(ctx, accountID, f)
		if err != nil {
			return nil, err
		}
		lines = append(lines, p.Lines...)
		if len(lines) > maxStatementLines {
			return nil, errTooManyLines
		}
		if p.Next == 0 {
			break
		}
		f.Before = p.Next
	}
	slices.Reverse(lines)
	return lines, nil
}

// statementFor reads the filter of a statement request and its lines, or
// answers the problem itself (ok false).
func (h *Handler) statementFor(w http.ResponseWriter, r *http.Request, a account.Account) (historyQuery, []ledger.Line, bool) {
	hq, f, problem := parseHistoryQuery(r.URL.Query(), h.loc)
	if problem != "" {
		h.message(w, r, http.StatusBadRequest, "bad", "title_statement", problem)
		return hq, nil, false
	}
	lines, err := h.statementLines(r.Context(), a.ID, f)
	switch {
	case errors.Is(err, errTooManyLines):
		h.message(w, r, http.StatusUnprocessableEntity, "warn", "title_statement", "too_many_lines")
		return hq, nil, false
	case err != nil:
		h.internalError(w, r, err)
		return hq, nil, false
	}
	return hq, lines, true
}

// statementCSV downloads the statement: a UTF-8 BOM (so that Excel reads
// the Chinese right), a header, then one line per posting, oldest first,
// amounts as exact decimals.
func (h *Handler) statementCSV(w http.ResponseWriter, r *http.Request, a account.Account) {
	hq, lines, ok := h.statementFor(w, r, a)
	if !ok {
		return
	}
	l := ui.PickLang(r)
	name := "paygate-statement-" + orAll(hq.From) + "-" + orAll(hq.To) + ".csv"
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Write([]byte("\xEF\xBB\xBF"))
	cw := csv.NewWriter(w)
	cw.Write(strings.Split(messages.Text(l, "csv_header"), ","))
	for _, ln := range lines {
		cw.Write([]string{h.formatTime(ln.CreatedAt), safeCell(ln.Description), ln.Amount.String(), ln.BalanceAfter.String()})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		h.log.WarnContext(r.Context(), "account: statement download cut short", "account_id", a.ID, "err", err)
	}
}

func orAll(day string) string {
	if day == "" {
		return "all"
	}
	return day
}

// safeCell keeps a spreadsheet from reading a text cell as a formula
// ([ui.SafeCell]).
func safeCell(s string) string { return ui.SafeCell(s) }

// statementData is the printable statement.
type statementData struct {
	Email, Kind, Period, Generated string
	Lines                          []lineView
	Count                          int
	In, Out                        string
	Opening, Closing               string // only without a direction filter
	CSVURL, BackURL                string
}

// statement is the printable statement, oldest line first, with totals.
func (h *Handler) statement(w http.ResponseWriter, r *http.Request, a account.Account) {
	hq, lines, ok := h.statementFor(w, r, a)
	if !ok {
		return
	}
	v := h.userView(r, a, "title_statement", "statement")
	in, out := money.Zero(h.cur), money.Zero(h.cur)
	for _, ln := range lines {
		var err error
		if ln.Amount.Minor() > 0 {
			in, err = in.Add(ln.Amount)
		} else {
			out, err = out.Add(ln.Amount)
		}
		if err != nil {
			h.internalError(w, r, err)
			return
		}
	}
	q := hq.query()
	q.Set("lang", string(v.Lang))
	d := statementData{Email: a.Email, Kind: v.Kind, Period: v.T("st_all_time"), Generated: h.formatTime(h.clock.Now()),
		Lines: h.lineViews(v.Lang, lines), Count: len(lines), In: ui.FormatSignedAmount(in), Out: ui.FormatSignedAmount(out),
		CSVURL: "/account/statement.csv?" + q.Encode(), BackURL: "/account/?" + q.Encode()}
	if hq.From != "" || hq.To != "" {
		d.Period = hq.From + " – " + hq.To
	}
	if hq.Dir == "" && len(lines) > 0 {
		first, last := lines[0], lines[len(lines)-1]
		opening, err := first.BalanceAfter.Sub(first.Amount)
		if err != nil {
			h.internalError(w, r, err)
			return
		}
		d.Opening, d.Closing = ui.FormatAmount(opening), ui.FormatAmount(last.BalanceAfter)
	}
	h.render(w, r, http.StatusOK, "statement", v.with(d))
}
