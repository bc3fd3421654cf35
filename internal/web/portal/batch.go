package portal

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"paygate/internal/batchrefund"
	"paygate/internal/errs"
)

// batchRow is one refund sheet in the list.
type batchRow struct {
	ID, FileName, Created, State, StateText string
	Lines, Good, Bad, Succeeded, Failed     int
	Total, Refunded                         string
}

// batchesData is the refund sheets page: the template, the upload form and
// the sheets sent before.
type batchesData struct {
	Rows     []batchRow
	MaxLines int
	MaxMiB   int64
}

func (h *Handler) batchRow(v *view, b batchrefund.Batch) batchRow {
	return batchRow{ID: b.ID, FileName: b.FileName, Created: h.formatTime(b.CreatedAt), State: b.State,
		StateText: v.T("batch_" + b.State), Lines: b.Lines, Good: b.Good, Bad: b.Bad, Succeeded: b.Succeeded, Failed: b.Failed,
		Total: amount(b.Total), Refunded: amount(b.Refunded)}
}

func (h *Handler) batchesPage(w http.ResponseWriter, r *http.Request, u who) {
	h.renderBatches(w, r, u, http.StatusOK, "")
}

// renderBatches shows the refund sheets page, with a problem of the
// upload just sent.
func (h *Handler) renderBatches(w http.ResponseWriter, r *http.Request, u who, status int, problem string) {
	v := h.userView(r, u, "title_batches", "refunds")
	list, err := h.d.Batches.List(r.Context(), u.MerchantID, 50)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	d := batchesData{MaxLines: batchrefund.DefaultMaxLines, MaxMiB: h.d.MaxUploadBytes >> 20}
	for _, b := range list {
		d.Rows = append(d.Rows, h.batchRow(v, b))
	}
	v.Problem = problem
	h.render(w, r, status, "batches", v.with(d))
}

// template downloads the empty refund sheet.
func (h *Handler) template(format string) func(http.ResponseWriter, *http.Request, who) {
	return func(w http.ResponseWriter, r *http.Request, u who) {
		b, ctype, err := batchrefund.Template(format)
		if err != nil {
			h.internalError(w, r, err)
			return
		}
		download(w, ctype, "refund-sheet-template."+format, b)
	}
}

// upload checks an uploaded refund sheet line by line and shows the
// report; nothing moves until it is confirmed.
func (h *Handler) upload(w http.ResponseWriter, r *http.Request, u who) {
	ctx := r.Context()
	l := h.newView(r, "title_batches")
	file, hdr, err := r.FormFile("sheet")
	if err != nil {
		h.renderBatches(w, r, u, http.StatusBadRequest, l.T("no_file"))
		return
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, h.d.MaxUploadBytes+1))
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if int64(len(data)) > h.d.MaxUploadBytes {
		h.renderBatches(w, r, u, http.StatusRequestEntityTooLarge, l.T("file_too_big", h.d.MaxUploadBytes>>20))
		return
	}
	b, _, err := h.d.Batches.Validate(ctx, u.MerchantID, hdr.Filename, data)
	if err != nil {
		text, status, ok := messages.ErrorText(l.Lang, err)
		if !ok {
			h.internalError(w, r, err)
			return
		}
		if e := errs.As(err); e != nil && e.Code == batchrefund.ErrSheetInvalid.Code {
			text = e.Message // says what is wrong with the file
		}
		h.log.InfoContext(ctx, "portal: refund sheet refused", "staff_id", u.ID, "merchant_id", u.MerchantID, "code", errs.CodeOf(err))
		h.renderBatches(w, r, u, status, text)
		return
	}
	h.log.InfoContext(ctx, "portal: refund sheet checked", "staff_id", u.ID, "merchant_id", u.MerchantID, "batch_id", b.ID,
		"lines", b.Lines, "good", b.Good, "bad", b.Bad)
	h.seeOther(w, r, "/portal/refunds/"+b.ID)
}

// lineRow is one line of a sheet on its page.
type lineRow struct {
	No                                       int
	OrderNo, Amount, RefundNo, Reason        string
	Problem, ProblemText, Message            string
	Status, StatusText, RefundID, PaymentURL string
	Bad                                      bool
}

// batchData is a refund sheet's page: its validation report before
// confirmation, its live status afterwards.
type batchData struct {
	Batch    batchRow
	Lines    []lineRow
	BadLines []lineRow
	InFlight int
	// Live: confirmed and not done, the page follows its progress.
	Live      bool
	StatusURL string
}

// lineStatus is a line's state in words and as a CSS class: the refund's
// status, or whether it passed validation.
func lineStatus(v *view, l batchrefund.Line) (status, text string) {
	switch {
	case l.Status != "":
		return string(l.Status), v.T("refund_" + string(l.Status))
	case l.Problem != "":
		return "bad", v.T("line_bad")
	}
	return "ok", v.T("line_ok")
}

func (h *Handler) batchData(r *http.Request, u who, v *view) (*batchData, error) {
	b, lines, err := h.d.Batches.Get(r.Context(), u.MerchantID, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	d := &batchData{Batch: h.batchRow(v, b), Live: b.State == batchrefund.Queued,
		StatusURL: "/portal/refunds/" + b.ID + "/status" + v.Query,
		InFlight:  max(0, b.Good-b.Succeeded-b.Failed)}
	if b.State == batchrefund.Validated || b.State == batchrefund.Discarded {
		d.InFlight = 0
	}
	for _, l := range lines {
		row := lineRow{No: l.No, OrderNo: l.MerchantOrderNo, Amount: l.AmountText, RefundNo: l.MerchantRefundNo, Reason: l.Reason,
			Problem: l.Problem, Message: l.Message, RefundID: l.RefundID}
		if l.Problem != "" {
			row.ProblemText = v.T("problem_" + l.Problem)
		}
		if l.PaymentID != "" {
			row.PaymentURL = "/portal/payments/" + l.PaymentID + v.Query
		}
		row.Status, row.StatusText = lineStatus(v, l)
		row.Bad = l.Problem != "" && l.RefundID == "" && l.Status == ""
		d.Lines = append(d.Lines, row)
		if row.Bad {
			d.BadLines = append(d.BadLines, row)
		}
	}
	return d, nil
}

func (h *Handler) batchPage(w http.ResponseWriter, r *http.Request, u who) {
	v := h.userView(r, u, "title_batch", "refunds")
	d, err := h.batchData(r, u, v)
	if err != nil {
		h.failed(w, r, u, err)
		return
	}
	v.Title = v.T("title_batch") + " " + d.Batch.ID
	h.render(w, r, http.StatusOK, "batch", v.with(d))
}

// statusJSON is what the live status page polls.
type statusJSON struct {
	State     string           `json:"state"`
	StateText string           `json:"state_text"`
	Done      bool             `json:"done"`
	Succeeded int              `json:"succeeded"`
	Failed    int              `json:"failed"`
	InFlight  int              `json:"in_flight"`
	Refunded  string           `json:"refunded"`
	Lines     []lineStatusJSON `json:"lines"`
}

// lineStatusJSON is one line's status in [statusJSON].
type lineStatusJSON struct {
	No      int    `json:"no"`
	Status  string `json:"status"`
	Text    string `json:"text"`
	Problem string `json:"problem,omitempty"`
}

// batchStatus answers the status page's poll: the counts and every line's
// status, in the page's language.
func (h *Handler) batchStatus(w http.ResponseWriter, r *http.Request, u who) {
	v := h.newView(r, "title_batch")
	d, err := h.batchData(r, u, v)
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, batchrefund.ErrBatchNotFound) {
			status = http.StatusNotFound
		} else {
			h.log.ErrorContext(r.Context(), "portal: batch status", "request_id", v.RequestID, "err", err)
		}
		http.Error(w, http.StatusText(status), status)
		return
	}
	out := statusJSON{State: d.Batch.State, StateText: d.Batch.StateText, Done: !d.Live, Succeeded: d.Batch.Succeeded,
		Failed: d.Batch.Failed, InFlight: d.InFlight, Refunded: d.Batch.Refunded, Lines: make([]lineStatusJSON, 0, len(d.Lines))}
	for _, l := range d.Lines {
		out.Lines = append(out.Lines, lineStatusJSON{No: l.No, Status: l.Status, Text: l.StatusText, Problem: l.ProblemText})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// confirm queues the refunds of a checked sheet's good lines.
func (h *Handler) confirm(w http.ResponseWriter, r *http.Request, u who) {
	ctx := r.Context()
	b, err := h.d.Batches.Queue(ctx, u.MerchantID, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, u, err)
		return
	}
	h.log.InfoContext(ctx, "portal: refund sheet confirmed", "staff_id", u.ID, "merchant_id", u.MerchantID, "batch_id", b.ID,
		"good", b.Good, "total", b.Total.Format())
	h.flash(ctx, "batch_confirmed", strconv.Itoa(b.Good))
	h.seeOther(w, r, "/portal/refunds/"+b.ID)
}

// discard drops a checked sheet that will not be confirmed.
func (h *Handler) discard(w http.ResponseWriter, r *http.Request, u who) {
	ctx := r.Context()
	id := r.PathValue("id")
	if err := h.d.Batches.Discard(ctx, u.MerchantID, id); err != nil {
		h.failed(w, r, u, err)
		return
	}
	h.log.InfoContext(ctx, "portal: refund sheet discarded", "staff_id", u.ID, "merchant_id", u.MerchantID, "batch_id", id)
	h.flash(ctx, "batch_discarded_flash")
	h.seeOther(w, r, "/portal/refunds")
}

// results downloads a sheet's lines with their outcome.
func (h *Handler) results(format string) func(http.ResponseWriter, *http.Request, who) {
	return func(w http.ResponseWriter, r *http.Request, u who) {
		id := r.PathValue("id")
		b, ctype, err := h.d.Batches.Results(r.Context(), u.MerchantID, id, format)
		if err != nil {
			h.failed(w, r, u, err)
			return
		}
		download(w, ctype, "refund-sheet-"+id+"-results."+format, b)
	}
}
