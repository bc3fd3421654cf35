package bank

import (
	"context"
	"errors"
	"fmt"
	"time"

	"paygate/internal/bank/hsm"
	"paygate/internal/bank/iso8583"
	"paygate/internal/bank/wire"
	"paygate/internal/money"
)

// operation is one kind of financial request (0200) and its processing code.
type operation struct {
	name       string
	proc       string
	reversible bool // moves money: an unknown outcome is reversed
}

// The operations. Credits to a card (payouts, withdrawals) use processing
// code 210000 ("deposit", PROTOCOLS.md §2.2): the bank credits the card's
// account with field 4.
var (
	opDebit   = operation{"debit", iso8583.ProcPurchase, true}
	opRefund  = operation{"refund", iso8583.ProcRefund, true}
	opCredit  = operation{"credit", iso8583.ProcDeposit, true}
	opBalance = operation{"balance", iso8583.ProcBalance, false}
)

// Debit takes req.Amount from the card (0200, processing code 000000).
// An approved or declined debit returns its [Result]; a debit whose outcome
// is unknown returns a Result with [Unknown] and the id of its queued
// reversal, which the worker sends until the bank acknowledges it. Errors
// wrapping [ErrNotSent] or [ErrInvalidRequest] mean nothing was sent.
//
// The reversal of every debit, refund and credit is stored ([ReversalArmed])
// before the 0200 is written, so that a process dying with the request in
// flight still has it reversed (by any connector of the same bank over the
// same database, once RequestTimeout + ReversalGrace have passed). A
// definitive answer deletes it; an unknown outcome turns it pending. An
// approval whose armed reversal cannot be deleted is reported [Unknown]
// ([ReasonNotRecorded]) and reversed: nothing is reported approved that
// could still be reversed.
func (c *Connector) Debit(ctx context.Context, req Request) (Result, error) {
	return c.financial(ctx, opDebit, req, nil)
}

// Refund gives req.Amount back to the card of an approved debit (0200,
// processing code 200000, field 90 naming the original). Unknown refunds
// are reversed like debits.
func (c *Connector) Refund(ctx context.Context, req Request, original Reference) (Result, error) {
	return c.financial(ctx, opRefund, req, &original)
}

// Credit pays req.Amount to the card (0200, processing code 210000), for
// payouts and withdrawals. No PIN is needed. Unknown credits are reversed.
func (c *Connector) Credit(ctx context.Context, req Request) (Result, error) {
	return c.financial(ctx, opCredit, req, nil)
}

// Balance asks for the card's available balance (0200, processing code
// 310000); an approved Result carries it in Amount, in req.Amount's
// currency. Nothing is reversed.
func (c *Connector) Balance(ctx context.Context, req Request) (Result, error) {
	return c.financial(ctx, opBalance, req, nil)
}

func (c *Connector) financial(ctx context.Context, op operation, req Request, orig *Reference) (Result, error) {
	if err := c.enter(); err != nil {
		return Result{}, err
	}
	defer c.calls.Done()
	if err := c.checkRequest(op, req); err != nil {
		return Result{}, err
	}
	s, li, err := c.pick(ctx)
	if err != nil {
		return Result{}, err
	}
	m, res, rev, err := c.buildFinancial(s, op, req, orig)
	if err != nil {
		return Result{}, err
	}
	res.Link = li
	if rev != nil {
		// The reversal is committed before the first byte leaves: if this
		// process dies from here on, another worker finds it armed and
		// overdue, and sends it.
		if err := c.arm(ctx, op, rev); err != nil {
			return Result{}, err
		}
	}
	in, err := s.send(ctx, m, c.cfg.RequestTimeout, rev)
	if c.halted.Load() {
		return Result{}, ErrStopped // a test stands for the process dying here
	}
	switch {
	case errors.Is(err, ErrNotSent):
		c.disarm(ctx, res, rev, "request not sent")
		return Result{}, fmt.Errorf("bank %q %s: %w", c.cfg.Name, op.name, err)
	case errors.Is(err, errTimeout):
		return c.unknown(ctx, res, rev, ReasonTimeout, err)
	case err != nil:
		return c.unknown(ctx, res, rev, ReasonLinkLost, err)
	case in.err != nil:
		return c.unknown(ctx, res, rev, ReasonMalformed, in.err)
	}
	if err := wire.VerifyMAC(in.msg, in.raw, c.cfg.MAC, s.keys.Load().zak); err != nil {
		c.stats.badMAC.Add(1)
		c.log.Warn("bank response rejected: MAC does not verify", "bank", c.cfg.Name, "link", li, "message", in.msg, "err", err)
		return c.unknown(ctx, res, rev, ReasonBadMAC, err)
	}
	code := in.msg.Get(iso8583.FieldResponseCode)
	if in.msg.MTI() != iso8583.MTIPurchaseResponse || len(code) != 2 {
		c.log.Warn("bank response rejected: not a 0210 with a response code", "bank", c.cfg.Name, "link", li, "message", in.msg)
		return c.unknown(ctx, res, rev, ReasonMalformed, errors.New("unexpected response"))
	}
	res.ResponseCode, res.Message = code, iso8583.ResponseText(code)
	res.SettlementDate = in.msg.Get(iso8583.FieldSettlementDate)
	if code != iso8583.RespApproved {
		res.Outcome = Declined
		// Nothing happened at the bank: should the armed row survive (the
		// store failed, or a worker took it over), its reversal is answered
		// 25 and does no harm.
		c.disarm(ctx, res, rev, "declined")
		return res, nil
	}
	res.Outcome, res.AuthCode = Approved, in.msg.Get(iso8583.FieldAuthCode)
	if op == opBalance {
		bal, err := iso8583.ParseAmount(in.msg.Get(iso8583.FieldAmount))
		if err != nil {
			return c.unknown(ctx, res, nil, ReasonMalformed, err)
		}
		res.Amount = money.New(bal, req.Amount.Currency())
		return res, nil
	}
	if rev != nil && req.ConfirmApproval {
		return res, nil // the caller disarms it with ConfirmTx when it records the approval
	}
	if rev != nil && !c.disarm(ctx, res, rev, "approved") {
		// The armed reversal could not be removed, or a worker already
		// took it over: the request will be reversed, so it must not be
		// reported approved.
		res.AuthCode, res.SettlementDate = "", ""
		return c.unknown(ctx, res, rev, ReasonNotRecorded, errors.New("approval not recorded: reversal still armed"))
	}
	return res, nil
}

// arm stores rev as armed before its request is sent, due once the
// request and a grace have had time to end. An error wraps [ErrNotSent]:
// the request must not go out.
func (c *Connector) arm(ctx context.Context, op operation, rev *reversalRecord) error {
	due := c.clock.Now().Add(c.cfg.RequestTimeout + c.cfg.ReversalGrace)
	if err := c.rev.store.arm(ctx, rev, due); err != nil {
		// A commit cut short by ctx may still have landed: remove it.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = c.rev.store.disarm(dctx, rev.ID)
		return fmt.Errorf("%w: bank %q %s: %w", ErrNotSent, c.cfg.Name, op.name, err)
	}
	return nil
}

// disarm deletes the armed reversal of a request that got a definitive
// answer or was never sent, and reports whether it did. False means the
// reversal is still stored (the delete failed: the row fires when due) or
// a worker took it over; either way the request will be reversed.
func (c *Connector) disarm(ctx context.Context, res Result, rev *reversalRecord, why string) bool {
	if rev == nil {
		return true
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	ok, err := c.rev.store.disarm(dctx, rev.ID)
	switch {
	case err != nil:
		c.log.Error("removing an armed reversal failed; it will be sent when due", "bank", c.cfg.Name, "reversal_id", rev.ID,
			"stan", res.Reference.STAN, "rrn", res.Reference.RRN, "client_ref", rev.ClientRef, "outcome", why, "err", err)
	case !ok:
		c.log.Warn("armed reversal already taken over by a worker", "bank", c.cfg.Name, "reversal_id", rev.ID,
			"stan", res.Reference.STAN, "rrn", res.Reference.RRN, "client_ref", rev.ClientRef, "outcome", why)
	}
	return err == nil && ok
}

// checkRequest refuses, before anything is sent, what the bank could not
// accept. Errors never quote the PAN or PIN.
func (c *Connector) checkRequest(op operation, req Request) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: bank %q %s: %s", ErrInvalidRequest, c.cfg.Name, op.name, fmt.Sprintf(format, args...))
	}
	if n := len(req.PAN); n < 12 || n > 19 || !allDigits(req.PAN) {
		return bad("PAN must be 12–19 digits")
	}
	if req.Expiry != "" && (len(req.Expiry) != 4 || !allDigits(req.Expiry)) {
		return bad("expiry must be YYMM")
	}
	if len(req.ClientRef) > maxClientRef || !printable(req.ClientRef) {
		return bad("client reference must be at most %d printable ASCII characters", maxClientRef)
	}
	if req.ConfirmApproval && (req.ClientRef == "" || !op.reversible) {
		return bad("ConfirmApproval needs a ClientRef and a money-moving operation")
	}
	if req.PIN != "" && (len(req.PIN) < 4 || len(req.PIN) > 12 || !allDigits(req.PIN)) {
		return bad("PIN must be 4–12 digits")
	}
	cur := req.Amount.Currency()
	dc, ok := c.cfg.Dialect.LookupCurrency(cur.Numeric())
	if cur.Numeric() == "" || !ok {
		return bad("currency %q not accepted by this bank", cur)
	}
	if dc.MinorUnits != cur.Exponent() {
		return bad("currency %s: bank uses %d minor units, we use %d", cur, dc.MinorUnits, cur.Exponent())
	}
	if op != opBalance && req.Amount.Minor() <= 0 {
		return bad("amount must be positive")
	}
	if _, err := iso8583.FormatAmount(req.Amount.Minor()); err != nil {
		return bad("amount out of range")
	}
	return nil
}

// buildFinancial assembles the 0200, its PIN block under the session's ZPK
// and, for money-moving operations, the reversal to arm before sending it.
func (c *Connector) buildFinancial(s *session, op operation, req Request, orig *Reference) (*iso8583.Message, Result, *reversalRecord, error) {
	cfg := &c.cfg
	now := c.clock.Now()
	stan := c.stan.next()
	de7 := now.UTC().Format(fmtDE7)
	rrn := makeRRN(now.In(cfg.Location), stan)
	local := now.In(cfg.Location)
	amount, _ := iso8583.FormatAmount(req.Amount.Minor())
	m := iso8583.NewMessage(cfg.Dialect)
	entryMode := "012" // manual entry, PIN capable
	err := firstErr(
		m.SetMTI(iso8583.MTIPurchase),
		m.Set(iso8583.FieldPAN, req.PAN),
		m.Set(iso8583.FieldProcessingCode, op.proc),
		m.Set(iso8583.FieldAmount, amount),
		m.Set(iso8583.FieldTransmissionTime, de7),
		m.Set(iso8583.FieldSTAN, stan),
		m.Set(iso8583.FieldLocalTime, local.Format(fmtDE12)),
		m.Set(iso8583.FieldLocalDate, local.Format(fmtDE13)),
		m.Set(iso8583.FieldPOSEntryMode, entryMode),
		m.Set(iso8583.FieldPOSCondition, "00"),
		m.Set(iso8583.FieldAcquirerID, cfg.AcquirerID),
		m.Set(iso8583.FieldRRN, rrn),
		m.Set(iso8583.FieldTerminalID, cfg.TerminalID),
		m.Set(iso8583.FieldMerchantID, cfg.MerchantID),
		m.Set(iso8583.FieldCurrency, req.Amount.Currency().Numeric()),
	)
	if err == nil && req.Expiry != "" {
		err = m.Set(iso8583.FieldExpiry, req.Expiry)
	}
	if err == nil && orig != nil {
		var f90 string
		f90, err = wire.OriginalData{MTI: iso8583.MTIPurchase, STAN: orig.STAN, TransmissionTime: orig.TransmissionTime,
			AcquirerID: cfg.AcquirerID, ForwarderID: cfg.ForwarderID}.Format()
		if err == nil {
			err = m.Set(iso8583.FieldOriginalData, f90)
		}
	}
	if err != nil {
		return nil, Result{}, nil, fmt.Errorf("%w: bank %q %s: %w", ErrInvalidRequest, cfg.Name, op.name, err)
	}
	if req.PIN != "" {
		pb, err := hsm.EncryptPINBlock0(s.keys.Load().zpk, req.PIN, req.PAN)
		if err != nil {
			return nil, Result{}, nil, fmt.Errorf("%w: bank %q %s: PIN block: %w", ErrInvalidRequest, cfg.Name, op.name, err)
		}
		if err := m.SetBytes(iso8583.FieldPINBlock, pb); err != nil {
			return nil, Result{}, nil, fmt.Errorf("%w: bank %q %s: %w", ErrInvalidRequest, cfg.Name, op.name, err)
		}
	}
	res := Result{Reference: Reference{STAN: stan, TransmissionTime: de7, RRN: rrn}, Amount: req.Amount}
	var rev *reversalRecord
	if op.reversible {
		rev = &reversalRecord{
			ID: c.ids.New(PrefixReversal), ClientRef: req.ClientRef,
			Bank: cfg.Name, AcquirerID: cfg.AcquirerID, OriginalMTI: iso8583.MTIPurchase,
			OriginalSTAN: stan, OriginalTime: de7, RRN: rrn, ProcessingCode: op.proc,
			AmountMinor: req.Amount.Minor(), Currency: req.Amount.Currency().Numeric(),
			TerminalID: cfg.TerminalID, MerchantID: cfg.MerchantID, ReasonCode: ReasonTimeout,
		}
	}
	return m, res, rev, nil
}

// unknown finishes a request whose outcome is unknown: it turns the
// request's armed reversal (if it moves money) pending, due now, before
// returning. Should that fail, the armed row stays and is sent when due:
// the reversal is stored either way, so no error is returned for it.
func (c *Connector) unknown(ctx context.Context, res Result, rev *reversalRecord, reason string, cause error) (Result, error) {
	res.Outcome, res.ResponseCode, res.Message = Unknown, reason, iso8583.ResponseText(reason)
	log := c.log.With("bank", c.cfg.Name, "link", res.Link, "stan", res.Reference.STAN, "rrn", res.Reference.RRN)
	if rev == nil {
		log.Warn("bank request outcome unknown", "reason", reason, "err", cause)
		return res, nil
	}
	log = log.With("client_ref", rev.ClientRef)
	log.Warn("bank request outcome unknown", "reason", reason, "err", cause)
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	id, err := c.rev.store.pend(qctx, rev, reason)
	if err != nil {
		log.Error("queueing reversal failed; the armed reversal will be sent when due", "reversal_id", rev.ID, "err", err)
		res.ReversalID = rev.ID
		return res, nil
	}
	res.ReversalID = id
	c.rev.wake()
	return res, nil
}

// maxClientRef is the longest [Request.ClientRef] (column client_ref).
const maxClientRef = 64

// printable reports whether s is printable ASCII (space to tilde).
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// makeRRN builds the retrieval reference number (an12): the last digit of
// the year, the day of the year (3 digits), the hour (2 digits) and the
// STAN, all in the bank's time zone — unique as long as fewer than a
// million requests leave one connector per hour.
func makeRRN(local time.Time, stan string) string {
	return fmt.Sprintf("%d%03d%02d%s", local.Year()%10, local.YearDay(), local.Hour(), stan)
}
