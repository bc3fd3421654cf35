package payment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"paygate/internal/channel"
	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/id"
	"paygate/internal/ledger"
	"paygate/internal/merchant"
	"paygate/internal/money"
)

// NotifyFunc enqueues a notification inside tx, so that it commits with the
// state change it reports. data is the full object.
type NotifyFunc func(ctx context.Context, tx *db.Tx, merchantID, eventType, url string, data any) error

// Options configure a [Service].
type Options struct {
	Logger *slog.Logger
	Clock  clock.Clock
	IDs    *id.Generator
	// Notify enqueues notifications (nil: none are sent).
	Notify NotifyFunc
	// WakeFunc, if set, is called after a transaction that enqueued a
	// notification commits, so that delivery starts at once.
	WakeFunc func()
	// DefaultExpiry is how long an unpaid payment stays open (default 30 min).
	DefaultExpiry time.Duration

	// Vault seals card numbers for refunds to the card (internal/vault).
	// Nil: no card number is kept, and card payments cannot be refunded.
	Vault Sealer
	// RefundWindow is how long after its success a payment may be refunded
	// (default 90 days).
	RefundWindow time.Duration
	// RefundRetry is the wait before each new try at a refund whose last
	// try did not reach the bank or was reversed (default 10 s, 1 m, 5 m,
	// 15 m); the last delay repeats. After RefundMaxTries such tries the
	// refund fails (default 5).
	RefundRetry    []time.Duration
	RefundMaxTries int
	// WakeRefundsFunc, if set, is called by [Service.WakeRefunds]: it wakes
	// the refund worker (internal/payment/refundworker).
	WakeRefundsFunc func()
}

// Sealer seals small secrets for storage and opens them again
// (internal/vault implements it). Neither method's error may quote the
// plaintext.
type Sealer interface {
	Seal(plaintext []byte) (string, error)
	Open(sealed string) ([]byte, error)
}

// Service runs payments.
type Service struct {
	db        *db.DB
	ledger    *ledger.Ledger
	merchants *merchant.Store
	channels  map[string]channel.Channel
	opts      Options
	log       *slog.Logger
}

// NewService returns a Service paying through channels.
func NewService(d *db.DB, l *ledger.Ledger, m *merchant.Store, channels []channel.Channel, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.IDs == nil {
		opts.IDs = id.NewGenerator(opts.Clock.Now, nil)
	}
	if opts.DefaultExpiry <= 0 {
		opts.DefaultExpiry = 30 * time.Minute
	}
	if opts.RefundWindow <= 0 {
		opts.RefundWindow = DefaultRefundWindow
	}
	if len(opts.RefundRetry) == 0 {
		opts.RefundRetry = []time.Duration{10 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute}
	}
	if opts.RefundMaxTries <= 0 {
		opts.RefundMaxTries = 5
	}
	cs := map[string]channel.Channel{}
	for _, c := range channels {
		cs[c.Method()] = c
	}
	return &Service{db: d, ledger: l, merchants: m, channels: cs, opts: opts, log: opts.Logger}
}

// CreateParams are a merchant's request for a payment.
type CreateParams struct {
	MerchantID      string
	MerchantOrderNo string
	Amount          money.Amount
	Subject         string
	NotifyURL       string // default: the merchant's
	ReturnURL       string
	ExpiresIn       time.Duration // 0: the default; at most 7 days
	Methods         []string      // empty: every method
	PayerEmail      string
}

func (s *Service) validate(p *CreateParams) error {
	bad := func(msg string) error { return fmt.Errorf("%w: %s", ErrInvalid, msg) }
	if n := len(p.MerchantOrderNo); n == 0 || n > 64 || strings.ContainsAny(p.MerchantOrderNo, " \t\r\n") {
		return bad("merchant_order_no must be 1–64 characters without spaces")
	}
	if _, err := money.ParseCurrency(string(p.Amount.Currency())); err != nil {
		return bad("currency must be an ISO 4217 code")
	}
	if p.Amount.Minor() <= 0 {
		return bad("amount must be a positive number of minor units")
	}
	if p.Subject = strings.TrimSpace(p.Subject); p.Subject == "" || utf8.RuneCountInString(p.Subject) > 128 {
		return bad("subject must be 1–128 characters")
	}
	for _, u := range []string{p.NotifyURL, p.ReturnURL} {
		if u != "" && merchant.ValidateURL(u) != nil {
			return bad(fmt.Sprintf("%q is not an absolute http(s) URL", u))
		}
	}
	if p.ExpiresIn < 0 || p.ExpiresIn > 7*24*time.Hour {
		return bad("expires_in must be between 60 s and 7 days")
	}
	if p.ExpiresIn == 0 {
		p.ExpiresIn = s.opts.DefaultExpiry
	}
	if p.ExpiresIn < time.Minute {
		return bad("expires_in must be between 60 s and 7 days")
	}
	for _, m := range p.Methods {
		if _, ok := s.channels[m]; !ok {
			return bad(fmt.Sprintf("unknown payment method %q", m))
		}
	}
	if p.PayerEmail != "" && (len(p.PayerEmail) > 254 || !strings.Contains(p.PayerEmail, "@")) {
		return bad("payer_email is not an email address")
	}
	return nil
}

// Create opens a payment. Errors: [ErrInvalid], [ErrDuplicateOrder],
// merchant.ErrNotFound.
func (s *Service) Create(ctx context.Context, p CreateParams) (Payment, error) {
	if err := s.validate(&p); err != nil {
		return Payment{}, err
	}
	m, err := s.merchants.Get(ctx, p.MerchantID)
	if err != nil {
		return Payment{}, err
	}
	if p.NotifyURL == "" {
		p.NotifyURL = m.NotifyURL
	}
	methods := p.Methods
	if len(methods) == 0 {
		for name := range s.channels {
			methods = append(methods, name)
		}
	}
	pay := Payment{
		ID: s.opts.IDs.New(id.PrefixPayment), MerchantID: p.MerchantID, MerchantOrderNo: p.MerchantOrderNo,
		Amount: p.Amount, Subject: p.Subject, NotifyURL: p.NotifyURL, ReturnURL: p.ReturnURL,
		PayerEmail: p.PayerEmail, Methods: methods, Status: Created,
		Fee: money.Zero(p.Amount.Currency()), Refunded: money.Zero(p.Amount.Currency()),
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := tx.Now()
		pay.CreatedAt, pay.UpdatedAt, pay.ExpiresAt = now, now, now.Add(p.ExpiresIn)
		_, err := tx.Exec(ctx, insertPayment, pay.ID, pay.MerchantID, pay.MerchantOrderNo, pay.Amount.Minor(),
			string(pay.Amount.Currency()), pay.Subject, pay.NotifyURL, pay.ReturnURL, pay.PayerEmail,
			strings.Join(pay.Methods, ","), string(pay.Status), pay.ExpiresAt, now, now)
		return err
	})
	if db.IsUniqueViolation(err) {
		return Payment{}, ErrDuplicateOrder
	}
	if err != nil {
		return Payment{}, fmt.Errorf("create payment: %w", err)
	}
	return pay, nil
}

// Get returns the merchant's payment. A payment of another merchant is
// [ErrNotFound], exactly like a payment that does not exist.
func (s *Service) Get(ctx context.Context, merchantID, paymentID string) (Payment, error) {
	p, err := s.Lookup(ctx, paymentID)
	if err != nil || p.MerchantID != merchantID {
		return Payment{}, ErrNotFound
	}
	return p, nil
}

// Lookup returns any payment by id, for the cashier (which is reached by
// the payment's unguessable id). Errors: [ErrNotFound].
func (s *Service) Lookup(ctx context.Context, paymentID string) (Payment, error) {
	p, err := scanPayment(s.db.QueryRow(ctx, selectPayment+` WHERE id = ?`, paymentID))
	if err != nil {
		return Payment{}, notFound(err)
	}
	return p, nil
}

// FindByOrderNo returns the merchant's payment for an order number.
func (s *Service) FindByOrderNo(ctx context.Context, merchantID, orderNo string) (Payment, error) {
	p, err := scanPayment(s.db.QueryRow(ctx, selectPayment+` WHERE merchant_id = ? AND merchant_order_no = ?`, merchantID, orderNo))
	if err != nil {
		return Payment{}, notFound(err)
	}
	return p, nil
}

// Attempts returns a payment's attempts, oldest first.
func (s *Service) Attempts(ctx context.Context, paymentID string) ([]Attempt, error) {
	rows, err := s.db.Query(ctx, selectAttempts, paymentID)
	if err != nil {
		return nil, fmt.Errorf("attempts of %s: %w", paymentID, err)
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var a Attempt
		if err := rows.Scan(&a.ID, &a.PaymentID, &a.Channel, &a.Bank, &a.CardMasked, &a.PayerAccount, &a.State, &a.ResponseCode,
			&a.Message, &a.RRN, &a.AuthCode, &a.ReversalID, &a.CreatedAt); err != nil {
			return nil, err
		}
		a.CreatedAt = a.CreatedAt.UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// Close closes the merchant's unpaid payment. Closing a closed payment is a
// no-op. Errors: [ErrNotFound], [ErrNotClosable].
func (s *Service) Close(ctx context.Context, merchantID, paymentID string) (Payment, error) {
	var out Payment
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		p, err := lockPayment(ctx, tx, paymentID)
		if err != nil || p.MerchantID != merchantID {
			return ErrNotFound
		}
		switch p.Status {
		case Closed:
			out = p
			return nil
		case Created:
		default:
			return ErrNotClosable
		}
		out, err = s.closeTx(ctx, tx, p)
		return err
	})
	if err == nil {
		s.wake()
	}
	return out, err
}

// closeTx closes p (status created) and tells the merchant.
func (s *Service) closeTx(ctx context.Context, tx *db.Tx, p Payment) (Payment, error) {
	now := tx.Now()
	if _, err := tx.Exec(ctx, `UPDATE payments SET status = 'closed', closed_at = ?, updated_at = ? WHERE id = ? AND status = 'created'`,
		now, now, p.ID); err != nil {
		return Payment{}, err
	}
	p.Status, p.ClosedAt, p.UpdatedAt = Closed, &now, now
	return p, s.notify(ctx, tx, p, "payment.closed")
}

// ExpireDue closes every unpaid payment past its expiry; it returns how
// many it closed. Run it periodically (several instances may).
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	rows, err := s.db.Query(ctx, `SELECT id FROM payments WHERE status = 'created' AND expires_at <= ? LIMIT 500`, s.opts.Clock.Now().UTC())
	if err != nil {
		return 0, fmt.Errorf("expire payments: %w", err)
	}
	var ids []string
	for rows.Next() {
		var pid string
		if err := rows.Scan(&pid); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, pid)
	}
	rows.Close()
	n := 0
	for _, pid := range ids {
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			p, err := lockPayment(ctx, tx, pid)
			if err != nil || p.Status != Created || p.ExpiresAt.After(s.opts.Clock.Now()) {
				return err
			}
			if _, err := s.closeTx(ctx, tx, p); err != nil {
				return err
			}
			n++
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("expire payment %s: %w", pid, err)
		}
	}
	if n > 0 {
		s.wake()
	}
	return n, nil
}

func (s *Service) notify(ctx context.Context, tx *db.Tx, p Payment, eventType string) error {
	if s.opts.Notify == nil || p.NotifyURL == "" {
		return nil
	}
	return s.opts.Notify(ctx, tx, p.MerchantID, eventType, p.NotifyURL, p)
}

// wake tells the notification dispatcher that something was enqueued.
func (s *Service) wake() {
	if s.opts.WakeFunc != nil {
		s.opts.WakeFunc()
	}
}

func notFound(err error) error {
	if errors.Is(err, errNoRows) {
		return ErrNotFound
	}
	return err
}

// ListFilter selects a merchant's payments for [Service.List].
type ListFilter struct {
	Status      Status    // "" for any
	CreatedFrom time.Time // inclusive; zero for no bound
	CreatedTo   time.Time // exclusive; zero for no bound
	Before      string    // cursor: the last id of the previous page ("" for the first)
	Limit       int       // 1–100
}

// List returns the merchant's payments, newest first, and the cursor of the
// next page ("" when there is none).
func (s *Service) List(ctx context.Context, merchantID string, f ListFilter) ([]Payment, string, error) {
	if f.Limit < 1 || f.Limit > 100 {
		return nil, "", fmt.Errorf("%w: limit must be 1–100", ErrInvalid)
	}
	switch f.Status {
	case "", Created, Processing, Succeeded, Closed:
	default:
		return nil, "", fmt.Errorf("%w: unknown status %q", ErrInvalid, f.Status)
	}
	q := selectPayment + ` WHERE merchant_id = ?`
	args := []any{merchantID}
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, string(f.Status))
	}
	if !f.CreatedFrom.IsZero() {
		q += ` AND created_at >= ?`
		args = append(args, f.CreatedFrom.UTC())
	}
	if !f.CreatedTo.IsZero() {
		q += ` AND created_at < ?`
		args = append(args, f.CreatedTo.UTC())
	}
	if f.Before != "" {
		q += ` AND id < ?`
		args = append(args, f.Before)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit+1)
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list payments: %w", err)
	}
	defer rows.Close()
	var out []Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list payments: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list payments: %w", err)
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[f.Limit-1].ID
	}
	return out, next, nil
}
