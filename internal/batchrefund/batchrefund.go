package batchrefund

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/errs"
	"paygate/internal/id"
	"paygate/internal/money"
	"paygate/internal/payment"
)

// Formats of a sheet.
const (
	XLSX = "xlsx"
	CSV  = "csv"
)

// Line is one line of a sheet as read and checked.
type Line struct {
	No               int    // the line number in the sheet (the header is line 1)
	MerchantOrderNo  string // as written
	AmountText       string // as written
	Amount           money.Amount
	MerchantRefundNo string
	Reason           string
	PaymentID        string // the payment it refunds, when found
	// Problem is why the line cannot be refunded ("" when it can): a
	// stable code, e.g. order_not_found, amount_malformed,
	// amount_not_positive, amount_exceeds_refundable, refund_window_passed,
	// duplicate_line, payment_not_refundable; Message says it in words.
	// See [Problems] for the full list. For a refund that failed, they are
	// the refund's failure code and message.
	Problem string
	Message string
	// After confirmation: the refund and its status. A line whose refund
	// was refused on confirmation has no refund and the status failed; a
	// good line whose refund is not made yet (a confirmation under way) has
	// neither.
	RefundID string
	Status   payment.RefundStatus
}

// Batch states.
const (
	Validated = "validated" // checked, nothing moved; waiting for confirmation
	Queued    = "queued"    // confirmed: refunds created, being carried out
	Done      = "done"      // every refund succeeded or failed
	Discarded = "discarded" // never confirmed
)

// Batch is one uploaded sheet.
type Batch struct {
	ID          string // rfb_…
	MerchantID  string
	FileName    string
	State       string
	Lines       int          // data lines
	Good, Bad   int          // as validated: lines that can be refunded, lines that cannot
	Total       money.Amount // sum of the good lines
	Succeeded   int          // after confirmation
	Failed      int          // refunds that failed, and good lines refused on confirmation
	Refunded    money.Amount // sum of the succeeded refunds
	CreatedAt   time.Time
	ConfirmedAt *time.Time
}

// Defaults of [Options].
const (
	DefaultMaxLines = 10_000
	DefaultMaxBytes = 10 << 20
)

// Options configure a [Service].
type Options struct {
	Logger *slog.Logger
	Clock  clock.Clock   // for batch ids; default: the system clock (rows are stamped by the database's clock)
	IDs    *id.Generator // default: one on Clock
	// WakeFunc, if set, is called once a confirmation has queued refunds,
	// to start the refund worker at once.
	WakeFunc func()
	MaxLines int   // data lines in a sheet; default 10,000
	MaxBytes int64 // size of an uploaded file; default 10 MiB
	// Workers bounds the concurrent look-ups while validating and the
	// concurrent refund creations while confirming (default 8).
	Workers int
}

// Errors, with their stable API codes.
var (
	// ErrSheetInvalid is a file that cannot be read as a refund sheet; the
	// error returned says why in its Message (no header, too many lines, …).
	ErrSheetInvalid = errs.E(errs.Invalid, "refund_sheet_invalid", "The file cannot be read as a refund sheet; start from the template (XLSX or CSV).")
	// ErrBatchNotFound is a batch that does not exist or is another
	// merchant's.
	ErrBatchNotFound = errs.E(errs.NotFound, "refund_batch_not_found", "No such refund batch.")
	// ErrBatchDiscarded refuses to confirm a discarded batch.
	ErrBatchDiscarded = errs.E(errs.Conflict, "refund_batch_discarded", "The refund batch was discarded; upload the sheet again.")
	// ErrBatchConfirmed refuses to discard a confirmed batch.
	ErrBatchConfirmed = errs.E(errs.Conflict, "refund_batch_confirmed", "The refund batch was confirmed; its refunds can no longer be discarded.")
)

const (
	idPrefix       = "rfb" // batch ids: rfb_…
	defaultWorkers = 8
	confirmChunk   = 200 // lines confirmed per transaction
)

// Service checks, queues and reports refund sheets.
type Service struct {
	db       *db.DB
	payments *payment.Service
	opts     Options
	log      *slog.Logger

	// Background creation of queued batches' refunds ([Service.Queue]);
	// Close stops it and waits.
	bg     context.Context
	stopBg context.CancelFunc
	work   sync.WaitGroup
}

// New returns a Service over the payments of d.
func New(d *db.DB, payments *payment.Service, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.IDs == nil {
		opts.IDs = id.NewGenerator(opts.Clock.Now, nil)
	}
	if opts.MaxLines <= 0 {
		opts.MaxLines = DefaultMaxLines
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.Workers <= 0 {
		opts.Workers = defaultWorkers
	}
	bg, stop := context.WithCancel(context.Background())
	return &Service{db: d, payments: payments, opts: opts, log: opts.Logger, bg: bg, stopBg: stop}
}

func (s *Service) wake() {
	if s.opts.WakeFunc != nil {
		s.opts.WakeFunc()
	}
}

// Close stops creating refunds in the background and waits for the work
// under way to stop; a batch left half-created is finished by
// [Service.Resume] (at the next start). It is safe to call more than once.
func (s *Service) Close() {
	s.stopBg()
	s.work.Wait()
}
