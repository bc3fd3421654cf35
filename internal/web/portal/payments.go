package portal

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"paygate/internal/money"
	"paygate/internal/notify"
	"paygate/internal/payment"
	"paygate/internal/web/ui"
)

// pageSize is how many payments the search shows at once.
const pageSize = 50

// maxFilterDigits bounds the integer digits of a typed amount bound.
const maxFilterDigits = 12

// searchQuery is the search filter as typed: dates YYYY-MM-DD (whole local
// days, both inclusive), a status, an exact order number, amount bounds
// in major units, a method, and the page cursor.
type searchQuery struct {
	From, To, Status, OrderNo, Min, Max, Method string
	After                                       string
}

// values is the filter as URL parameters, without the cursor, to keep it
// on links.
func (q searchQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"from": q.From, "to": q.To, "status": q.Status, "order_no": q.OrderNo,
		"min": q.Min, "max": q.Max, "method": q.Method} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// statuses and methods are the choices of the filter.
var (
	statuses = []payment.Status{payment.Succeeded, payment.Created, payment.Processing, payment.Closed}
	methods  = []string{"bankcard", "account"}
)

// parseSearch reads the filter from a URL query, in loc, amounts in cur.
// It returns the filter with every valid part, and the message key of the
// first problem ("" if none); an invalid part is dropped from both.
func parseSearch(q url.Values, loc *time.Location, cur money.Currency) (searchQuery, payment.SearchFilter, string) {
	var (
		sq searchQuery
		f  payment.SearchFilter
	)
	days, problem := ui.ParseDayRange(q, loc)
	sq.From, sq.To, f.CreatedFrom, f.CreatedTo = days.From, days.To, days.Start, days.End
	for _, st := range statuses {
		if q.Get("status") == string(st) {
			sq.Status, f.Status = string(st), st
		}
	}
	if s := strings.TrimSpace(q.Get("order_no")); s != "" && len(s) <= 64 {
		sq.OrderNo, f.MerchantOrderNo = s, s
	}
	for _, b := range []struct {
		key  string
		text *string
		to   *money.Amount
	}{{"min", &sq.Min, &f.MinAmount}, {"max", &sq.Max, &f.MaxAmount}} {
		s := strings.TrimSpace(q.Get(b.key))
		if s == "" {
			continue
		}
		a, err := ui.ParseAmount(s, cur, maxFilterDigits)
		if err != nil {
			problem = "bad_amount_filter"
			continue
		}
		*b.text, *b.to = s, a
	}
	if !f.MinAmount.IsZero() && !f.MaxAmount.IsZero() && f.MinAmount.Minor() > f.MaxAmount.Minor() {
		sq.Max, f.MaxAmount = "", money.Amount{}
		problem = "bad_amount_range"
	}
	for _, m := range methods {
		if q.Get("method") == m {
			sq.Method, f.Method = m, m
		}
	}
	if s := q.Get("after"); strings.HasPrefix(s, "pay_") && len(s) <= 64 {
		sq.After, f.After = s, s
	}
	return sq, f, problem
}

// paymentRow is one payment in the search results.
type paymentRow struct {
	ID, OrderNo, Subject, Created, Paid string
	Amount, Refunded                    string
	Status, StatusText, Method          string
}

// searchData is the search page.
type searchData struct {
	Filter          searchQuery
	Statuses        []payment.Status
	Methods         []string
	Rows            []paymentRow
	First, Next     string // links to the first and the next page ("" when there is none)
	CSVURL, XLSXURL string
}

func (h *Handler) searchPage(w http.ResponseWriter, r *http.Request, u who) {
	ctx := r.Context()
	v := h.userView(r, u, "title_payments", "payments")
	sq, f, problem := parseSearch(r.URL.Query(), h.loc, h.d.Currency)
	if problem != "" {
		v.Problem, v.Tone = v.T(problem), "warn"
	}
	f.Limit = pageSize
	list, next, err := h.d.Payments.Search(ctx, u.MerchantID, f)
	if err != nil {
		h.failed(w, r, u, err)
		return
	}
	paid, err := h.paidMethods(r, u, list)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	d := searchData{Filter: sq, Statuses: statuses, Methods: methods}
	for _, p := range list {
		d.Rows = append(d.Rows, h.row(v, p, paid[p.ID]))
	}
	base := sq.values()
	base.Set("lang", string(v.Lang))
	if sq.After != "" {
		d.First = "/portal/payments?" + base.Encode()
	}
	if next != "" {
		nq := sq.values()
		nq.Set("lang", string(v.Lang))
		nq.Set("after", next)
		d.Next = "/portal/payments?" + nq.Encode()
	}
	d.CSVURL = "/portal/payments.csv?" + base.Encode()
	d.XLSXURL = "/portal/payments.xlsx?" + base.Encode()
	h.render(w, r, http.StatusOK, "payments", v.with(d))
}

// paidMethods finds the channel that took each payment's money.
func (h *Handler) paidMethods(r *http.Request, u who, list []payment.Payment) (map[string]string, error) {
	ids := make([]string, len(list))
	for i, p := range list {
		ids[i] = p.ID
	}
	return h.d.Payments.PaidMethods(r.Context(), u.MerchantID, ids)
}

func (h *Handler) row(v *view, p payment.Payment, method string) paymentRow {
	row := paymentRow{ID: p.ID, OrderNo: p.MerchantOrderNo, Subject: p.Subject, Created: h.formatTime(p.CreatedAt),
		Paid: h.formatTimePtr(p.PaidAt), Amount: amount(p.Amount), Status: string(p.Status),
		StatusText: v.T("status_" + string(p.Status)), Method: method}
	if p.Refunded.Minor() > 0 {
		row.Refunded = amount(p.Refunded)
	}
	if method != "" {
		row.Method = v.T("method_" + method)
	}
	return row
}

// attemptRow is one attempt on the payment page: the card only masked.
type attemptRow struct {
	ID, Time, Channel, Bank, Card, Payer, State, StateText, Code, Message string
}

// refundRow is one refund on the payment page.
type refundRow struct {
	ID, RefundNo, Amount, Reason, Status, StatusText, Created, Done, Failure, BatchID string
}

// eventRow is one notification on the payment page, with its attempts.
type eventRow struct {
	ID, Type, State, StateText, URL, Created, Next string
	Attempts                                       []eventAttemptRow
}

// eventAttemptRow is one delivery attempt of a notification.
type eventAttemptRow struct {
	N                          int
	Time, Status, Error, Taken string
	OK                         bool
}

// refundForm is the single refund form as typed.
type refundForm struct {
	Amount, Reason, RefundNo, Key string
}

// paymentData is the payment page.
type paymentData struct {
	ID, OrderNo, Subject, PayerEmail, NotifyURL string
	Status, StatusText                          string
	Amount, Fee, Refunded, Refunding, Left      string
	Created, Paid, Closed, Expires              string
	Method                                      string
	Attempts                                    []attemptRow
	Refunds                                     []refundRow
	Events                                      []eventRow
	// Refundable: the refund form can be used (the payment succeeded,
	// something is left, the window is open); NoRefund says why not.
	Refundable bool
	NoRefund   string
	Form       refundForm
	Back       string

	leftDecimal string // what is left, as the form's default amount
	currency    money.Currency
}

func (h *Handler) paymentPage(w http.ResponseWriter, r *http.Request, u who) {
	v := h.userView(r, u, "title_payment", "payments")
	d, err := h.paymentData(r, u, v)
	if err != nil {
		h.failed(w, r, u, err)
		return
	}
	d.Form = refundForm{Amount: d.leftDecimal, Key: ui.NewSecret()}
	h.render(w, r, http.StatusOK, "payment", v.with(d))
}

// paymentData reads the merchant's payment with its attempts, refunds and
// notifications. Errors: payment.ErrNotFound for another merchant's.
func (h *Handler) paymentData(r *http.Request, u who, v *view) (*paymentData, error) {
	ctx := r.Context()
	p, err := h.d.Payments.Get(ctx, u.MerchantID, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	attempts, err := h.d.Payments.Attempts(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	refunds, err := h.d.Payments.Refunds(ctx, u.MerchantID, p.ID)
	if err != nil {
		return nil, err
	}
	events, err := h.d.Notifications.ForObject(ctx, u.MerchantID, p.ID, p.CreatedAt, 100)
	if err != nil {
		return nil, err
	}
	left, open, err := h.d.Payments.Refundable(ctx, p)
	if err != nil {
		return nil, err
	}
	d := &paymentData{ID: p.ID, OrderNo: p.MerchantOrderNo, Subject: p.Subject, PayerEmail: p.PayerEmail, NotifyURL: p.NotifyURL,
		Status: string(p.Status), StatusText: v.T("status_" + string(p.Status)),
		Amount: amount(p.Amount), Fee: amount(p.Fee), Refunded: amount(p.Refunded), Refunding: amount(p.Refunding),
		Left: amount(left), Created: h.formatTime(p.CreatedAt), Paid: h.formatTimePtr(p.PaidAt),
		Closed: h.formatTimePtr(p.ClosedAt), Expires: h.formatTime(p.ExpiresAt),
		Back: "/portal/payments" + v.Query, leftDecimal: left.String(), currency: p.Amount.Currency()}
	for _, a := range attempts {
		if a.State == payment.AttemptApproved {
			d.Method = v.T("method_" + a.Channel)
		}
		d.Attempts = append(d.Attempts, attemptRow{ID: a.ID, Time: h.formatTime(a.CreatedAt), Channel: v.T("method_" + a.Channel),
			Bank: a.Bank, Card: a.CardMasked, Payer: a.PayerAccount, State: string(a.State),
			StateText: v.T("attempt_" + string(a.State)), Code: a.ResponseCode, Message: a.Message})
	}
	for _, rf := range refunds {
		row := refundRow{ID: rf.ID, RefundNo: rf.MerchantRefundNo, Amount: amount(rf.Amount), Reason: rf.Reason,
			Status: string(rf.Status), StatusText: v.T("refund_" + string(rf.Status)), Created: h.formatTime(rf.CreatedAt),
			Done: h.formatTimePtr(rf.SucceededAt), BatchID: rf.BatchID}
		if rf.Status == payment.RefundFailed {
			row.Failure = strings.TrimSpace(rf.FailureCode + ": " + rf.FailureMessage)
		}
		d.Refunds = append(d.Refunds, row)
	}
	for _, n := range events {
		d.Events = append(d.Events, h.eventRow(v, n))
	}
	switch {
	case p.Status != payment.Succeeded:
		d.NoRefund = v.T("no_refund_status")
	case left.Minor() <= 0:
		d.NoRefund = v.T("no_refund_left")
	case !open:
		d.NoRefund = v.T("no_refund_window")
	default:
		d.Refundable = true
	}
	return d, nil
}

func (h *Handler) eventRow(v *view, n notify.Notification) eventRow {
	e := eventRow{ID: n.ID, Type: n.Type, State: string(n.State), StateText: v.T("event_" + string(n.State)), URL: n.URL,
		Created: h.formatTime(n.CreatedAt)}
	if !n.NextAttemptAt.IsZero() {
		e.Next = h.formatTime(n.NextAttemptAt)
	}
	for _, a := range n.Attempts {
		row := eventAttemptRow{N: a.N, Time: h.formatTime(a.At), Error: a.Error, OK: a.Delivered(),
			Taken: a.Duration.String()}
		if a.Status != 0 {
			row.Status = strings.TrimSpace(strconv.Itoa(a.Status) + " " + http.StatusText(a.Status))
		}
		e.Attempts = append(e.Attempts, row)
	}
	return e
}

// resend makes one of the payment's notifications due again.
func (h *Handler) resend(w http.ResponseWriter, r *http.Request, u who) {
	ctx := r.Context()
	p, err := h.d.Payments.Get(ctx, u.MerchantID, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, u, err)
		return
	}
	eventID := r.PostForm.Get("event_id")
	err = h.d.Notifications.ResendFor(ctx, u.MerchantID, eventID)
	switch {
	case errors.Is(err, notify.ErrEventInFlight):
		h.flash(ctx, "resend_in_flight", eventID)
	case err != nil:
		h.failed(w, r, u, err)
		return
	default:
		h.log.InfoContext(ctx, "portal: notification resent", "staff_id", u.ID, "merchant_id", u.MerchantID, "event_id", eventID)
		h.flash(ctx, "resent", eventID)
	}
	h.seeOther(w, r, "/portal/payments/"+p.ID+"#notifications")
}
