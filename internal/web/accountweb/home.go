package accountweb

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"paygate/internal/account"
	"paygate/internal/ledger"
	"paygate/internal/web/ui"
)

// historyPageSize is how many lines one page of the history shows.
const historyPageSize = 20

// homeData is the overview: balance, filtered history, held claims.
type homeData struct {
	Balance  string
	Filter   historyQuery
	Lines    []lineView
	Older    string // link to the next (older) page, or ""
	Newest   string // link back to the first page, or ""
	CSVURL   string
	PrintURL string
	Claims   []claimView
}

// lineView is one line of a history or statement.
type lineView struct {
	Time, Type, Desc, Amount, Balance string
	In                                bool
}

// claimView is money the account sent that waits for its recipient.
type claimView struct {
	To, Amount, Returns string
}

// home shows the session's account: only ever its own balance and history.
func (h *Handler) home(w http.ResponseWriter, r *http.Request, a account.Account) {
	ctx := r.Context()
	v := h.userView(r, a, "title_home", "home")
	hq, f, problem := parseHistoryQuery(r.URL.Query(), h.loc)
	if problem != "" {
		v.Problem = v.T(problem)
	}
	bal, err := h.wallet.Balance(ctx, a.ID, h.cur)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	f.Limit = historyPageSize
	page, err := h.history(ctx, a.ID, f)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	claims, err := h.wallet.Claims(ctx, a.ID)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	filter := hq.query()
	filter.Set("lang", string(v.Lang))
	d := homeData{Balance: ui.FormatAmount(bal), Filter: hq, Lines: h.lineViews(v.Lang, page.Lines),
		CSVURL: "/account/statement.csv?" + filter.Encode(), PrintURL: "/account/statement?" + filter.Encode()}
	if page.Next != 0 {
		q := hq.query()
		q.Set("lang", string(v.Lang))
		q.Set("before", strconv.FormatInt(page.Next, 10))
		d.Older = "/account/?" + q.Encode()
	}
	if hq.Before != 0 {
		d.Newest = "/account/?" + filter.Encode()
	}
	for _, c := range claims {
		if c.State == "held" && len(d.Claims) < 20 {
			d.Claims = append(d.Claims, claimView{To: c.ToEmail, Amount: ui.FormatAmount(c.Amount),
				Returns: c.ExpiresAt.In(h.loc).Format("2006-01-02")})
		}
	}
	h.render(w, r, http.StatusOK, "home", v.with(d))
}

// history is one page of the account's history; an account that never
// held money has an empty one.
func (h *Handler) history(ctx context.Context, accountID string, f ledger.HistoryFilter) (ledger.Page, error) {
	p, err := h.wallet.History(ctx, accountID, h.cur, f)
	if errors.Is(err, ledger.ErrAccountNotFound) {
		return ledger.Page{}, nil
	}
	return p, err
}

func (h *Handler) lineViews(l ui.Lang, lines []ledger.Line) []lineView {
	out := make([]lineView, len(lines))
	for i, ln := range lines {
		out[i] = lineView{Time: h.formatTime(ln.CreatedAt), Type: messages.Text(l, lineType(ln)), Desc: ln.Description,
			Amount: ui.FormatSignedAmount(ln.Amount), Balance: ui.FormatAmount(ln.BalanceAfter), In: ln.Amount.Minor() > 0}
	}
	return out
}

// lineType names what a line was, from its entry key (see package wallet).
func lineType(ln ledger.Line) string {
	k := ln.EntryKey
	switch {
	case strings.HasPrefix(k, "wallet:send:"):
		if ln.Amount.Minor() < 0 {
			return "t_sent"
		}
		return "t_received"
	case strings.HasPrefix(k, "wallet:topup:"):
		return "t_topup"
	case strings.HasPrefix(k, "wallet:claim:") && strings.HasSuffix(k, ":claimed"):
		return "t_claimed"
	case strings.HasPrefix(k, "wallet:claim:") && strings.HasSuffix(k, ":returned"):
		return "t_returned"
	case strings.HasPrefix(k, "wallet:withdraw"):
		return "t_withdraw"
	}
	return "t_other"
}
