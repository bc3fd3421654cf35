package banksim

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"paygate/internal/bank/hsm"
	"paygate/internal/bank/iso8583"
	"paygate/internal/bank/wire"
	"paygate/internal/money"
)

// echoed are the request fields a response repeats.
var echoed = []int{
	iso8583.FieldProcessingCode, iso8583.FieldAmount, iso8583.FieldTransmissionTime, iso8583.FieldSTAN,
	iso8583.FieldLocalTime, iso8583.FieldLocalDate, iso8583.FieldAcquirerID, iso8583.FieldRRN,
	iso8583.FieldTerminalID, iso8583.FieldMerchantID, iso8583.FieldCurrency, iso8583.FieldNetworkCode,
}

// handle decides one request and answers it.
func (c *simConn) handle(ctx context.Context, raw []byte) {
	d := c.b.cfg.Dialect
	m, err := iso8583.Unpack(d, raw)
	if err != nil {
		c.h.log.Warn("malformed request refused", "bank", c.b.cfg.Name, "bytes", len(raw), "err", err)
		mti, stan, ok := wire.Peek(d, raw)
		if !ok || (mti[2]-'0')%2 == 1 {
			return
		}
		resp := iso8583.NewMessage(d)
		rmti, err := iso8583.ResponseMTI(mti)
		if err == nil {
			err = errors.Join(resp.SetMTI(rmti), resp.Set(iso8583.FieldSTAN, stan), resp.Set(iso8583.FieldResponseCode, iso8583.RespFormatError))
		}
		if err == nil {
			c.send(resp, stan, false)
		}
		return
	}
	switch mti := m.MTI(); mti {
	case iso8583.MTINetwork:
		c.network(m, raw)
	case iso8583.MTIPurchase:
		c.countFinancial()
		c.financial(ctx, m, raw)
	case iso8583.MTIReversalAdvice, iso8583.MTIReversalAdviceRepeat:
		c.reversal(ctx, m, raw)
	default:
		if (mti[2]-'0')%2 == 0 {
			c.reply(m, iso8583.RespInvalidTransaction, nil, false)
		}
	}
}

// macOK verifies a request's MAC under the session's ZAK (or, with the
// MACKeyMismatch fault, under a key the acquirer does not have).
func (c *simConn) macOK(m *iso8583.Message, raw []byte) bool {
	k := c.keys.Load()
	if k == nil {
		return false
	}
	zak := k.ZAK
	if c.h.currentFaults().MACKeyMismatch {
		zak = c.b.decoyZAK
	}
	return wire.VerifyMAC(m, raw, c.b.cfg.MAC, zak) == nil
}

// refuseMAC answers A0 and logs the message masked.
func (c *simConn) refuseMAC(m *iso8583.Message) {
	c.h.log.Warn("request refused: MAC does not verify", "bank", c.b.cfg.Name, "message", m)
	c.reply(m, iso8583.RespMACFailure, nil, false)
}

// reply answers request m with code; extra sets more fields. Faulty
// responses go through the fault injection.
func (c *simConn) reply(m *iso8583.Message, code string, extra func(*iso8583.Message) error, faulty bool) {
	rmti, err := iso8583.ResponseMTI(m.MTI())
	if err != nil {
		return
	}
	resp := iso8583.NewMessage(c.b.cfg.Dialect)
	err = resp.SetMTI(rmti)
	for _, id := range echoed {
		if err == nil && m.Has(id) {
			err = resp.Set(id, m.Get(id))
		}
	}
	if err == nil {
		err = resp.Set(iso8583.FieldResponseCode, code)
	}
	if err == nil && extra != nil {
		err = extra(resp)
	}
	if err != nil {
		c.h.log.Error("building response", "bank", c.b.cfg.Name, "err", err)
		return
	}
	c.send(resp, m.Get(iso8583.FieldSTAN), faulty)
}

// send MACs (once the session has keys) and writes a response.
func (c *simConn) send(resp *iso8583.Message, stan string, faulty bool) {
	var (
		raw []byte
		err error
	)
	if k := c.keys.Load(); k != nil {
		zak := k.ZAK
		if faulty && c.h.currentFaults().BadResponseMAC {
			zak = c.b.decoyZAK
		}
		raw, err = wire.Seal(resp, c.b.cfg.MAC, zak)
	} else {
		raw, err = iso8583.Pack(resp)
	}
	if err != nil {
		c.h.log.Error("packing response", "bank", c.b.cfg.Name, "err", err)
		return
	}
	if faulty {
		c.deliver(raw, stan)
		return
	}
	c.write(raw)
}

// network answers 0800: sign-on and key change issue fresh working keys
// (field 48 under the ZMK, the 0810 MACed under the new ZAK); echo and
// sign-off need a valid MAC.
func (c *simConn) network(m *iso8583.Message, raw []byte) {
	switch code := m.Get(iso8583.FieldNetworkCode); code {
	case iso8583.NetSignOn, iso8583.NetKeyChange:
		if code == iso8583.NetKeyChange && !c.macOK(m, raw) {
			c.refuseMAC(m)
			return
		}
		keys, f48, err := c.newKeys()
		if err != nil {
			c.h.log.Error("issuing working keys", "bank", c.b.cfg.Name, "err", err)
			c.reply(m, iso8583.RespSystemMalfunction, nil, false)
			return
		}
		c.keys.Store(&keys)
		c.h.log.Info("acquirer signed on", "bank", c.b.cfg.Name, "acquirer", m.Get(iso8583.FieldAcquirerID), "zak_kcv", keys.ZAK.KCV())
		c.reply(m, iso8583.RespApproved, func(r *iso8583.Message) error { return r.Set(iso8583.FieldAdditionalData, f48) }, false)
	case iso8583.NetEcho, iso8583.NetSignOff:
		if !c.macOK(m, raw) {
			c.refuseMAC(m)
			return
		}
		c.reply(m, iso8583.RespApproved, nil, false)
		if code == iso8583.NetSignOff {
			c.keys.Store(nil)
		}
	default:
		c.reply(m, iso8583.RespInvalidTransaction, nil, false)
	}
}

// newKeys makes a ZPK and a ZAK and field 48 carrying them under the ZMK.
func (c *simConn) newKeys() (wire.WorkingKeys, string, error) {
	zakKind, zpkKind := hsm.TDES2, hsm.TDES2
	if c.b.cfg.MAC == hsm.AlgAESCMAC {
		zakKind, zpkKind = hsm.AES128, hsm.AES128
	}
	var (
		k   wire.WorkingKeys
		err error
	)
	if k.ZPK, err = hsm.NewKey(zpkKind, c.h.keyRd); err != nil {
		return k, "", err
	}
	if k.ZAK, err = hsm.NewKey(zakKind, c.h.keyRd); err != nil {
		return k, "", err
	}
	f48, err := wire.FormatKeyExchange(c.b.cfg.ZMK, k)
	return k, f48, err
}

// businessDay is the bank's business date of a moment: the local date, or
// the next day from the cut-off hour on.
func (b *bankHost) businessDay(t time.Time) (local time.Time, day time.Time) {
	local = t.In(b.cfg.Location)
	day = time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, b.cfg.Location)
	if local.Hour() >= b.cfg.CutoffHour {
		day = day.AddDate(0, 0, 1)
	}
	return local, day
}

// financial decides a 0200.
func (c *simConn) financial(ctx context.Context, m *iso8583.Message, raw []byte) {
	if !c.macOK(m, raw) {
		c.refuseMAC(m)
		return
	}
	log := c.h.log.With("bank", c.b.cfg.Name, "stan", m.Get(iso8583.FieldSTAN))
	for _, id := range []int{iso8583.FieldPAN, iso8583.FieldProcessingCode, iso8583.FieldAmount, iso8583.FieldTransmissionTime,
		iso8583.FieldSTAN, iso8583.FieldAcquirerID, iso8583.FieldRRN, iso8583.FieldCurrency} {
		if !m.Has(id) {
			log.Warn("request refused: missing field", "field", id, "message", m)
			c.reply(m, iso8583.RespFormatError, nil, true)
			return
		}
	}
	pan := m.Get(iso8583.FieldPAN)
	card := c.h.store.cards[pan]
	if card == nil || card.bank != c.b.cfg.Name {
		c.reply(m, iso8583.RespInvalidCard, nil, true)
		return
	}
	cur, err := money.CurrencyByNumeric(m.Get(iso8583.FieldCurrency))
	amount, aerr := iso8583.ParseAmount(m.Get(iso8583.FieldAmount))
	if err != nil || aerr != nil {
		c.reply(m, iso8583.RespInvalidAmount, nil, true)
		return
	}
	local, day := c.b.businessDay(c.h.clock.Now())
	t := &txn{
		bank: c.b.cfg.Name, acquirer: wire.PadID(m.Get(iso8583.FieldAcquirerID)), stan: m.Get(iso8583.FieldSTAN),
		de7: m.Get(iso8583.FieldTransmissionTime), mti: m.MTI(), proc: m.Get(iso8583.FieldProcessingCode),
		pan: pan, currency: string(cur), rrn: m.Get(iso8583.FieldRRN), auth: c.h.authCode(),
		merchant: m.Get(iso8583.FieldMerchantID), terminal: m.Get(iso8583.FieldTerminalID), amount: amount,
		local: local, businessDate: day.Format("20060102"),
	}
	code, balance := c.decide(ctx, log, m, card, t)
	if card.behaviour == NoAnswer {
		log.Info("not answering (test card behaviour)", "response_code", code)
		return
	}
	c.reply(m, code, func(r *iso8583.Message) error {
		if err := r.Set(iso8583.FieldSettlementDate, day.Format("0102")); err != nil {
			return err
		}
		if code != iso8583.RespApproved {
			return nil
		}
		if err := r.Set(iso8583.FieldAuthCode, t.auth); err != nil {
			return err
		}
		if t.proc == iso8583.ProcBalance {
			s, err := iso8583.FormatAmount(max(balance, 0))
			if err != nil {
				return err
			}
			return r.Set(iso8583.FieldAmount, s)
		}
		return nil
	}, true)
}

// decide runs the card checks and the store transaction of a 0200 and
// returns the response code (and, for balance enquiries, the balance).
func (c *simConn) decide(ctx context.Context, log *slog.Logger, m *iso8583.Message, card *cardInfo, t *txn) (string, int64) {
	debitLike := t.proc == iso8583.ProcPurchase || t.proc == iso8583.ProcBalance
	if debitLike {
		if card.expiry != "" && m.Has(iso8583.FieldExpiry) && m.Get(iso8583.FieldExpiry) != card.expiry {
			return "54", 0
		}
		if code := c.checkPIN(log, m, card); code != "" {
			return code, 0
		}
		if code := card.behaviour.declineCode(); code != "" {
			return code, 0
		}
	}
	if _, err := c.h.store.balance(ctx, t.pan, t.currency); err != nil {
		return "57", 0 // the card holds no such currency
	}
	var (
		code string
		err  error
	)
	switch t.proc {
	case iso8583.ProcPurchase:
		if card.limitMinor > 0 && t.amount > card.limitMinor {
			return iso8583.RespExceedsLimit, 0
		}
		code, err = c.h.store.debit(ctx, t)
	case iso8583.ProcRefund:
		o, perr := wire.ParseOriginalData(m.Get(iso8583.FieldOriginalData))
		if perr != nil || !m.Has(iso8583.FieldOriginalData) {
			return iso8583.RespFormatError, 0
		}
		t.orig = &origKey{acquirer: o.AcquirerID, stan: o.STAN, de7: o.TransmissionTime}
		code, err = c.h.store.refund(ctx, t)
	case iso8583.ProcDeposit:
		code, err = c.h.store.credit(ctx, t)
	case iso8583.ProcBalance:
		bal, err := c.h.store.balance(ctx, t.pan, t.currency)
		if err != nil {
			return "57", 0
		}
		return iso8583.RespApproved, bal
	default:
		return iso8583.RespInvalidTransaction, 0
	}
	switch {
	case errors.Is(err, errDuplicate):
		return iso8583.RespDuplicate, 0
	case err != nil:
		log.Error("processing request failed", "err", err)
		return iso8583.RespSystemMalfunction, 0
	}
	return code, 0
}

// checkPIN verifies the PIN block of a card that has a PIN: "" when it
// matches, 55 when it is missing or wrong (and always for the wrong_pin
// card), 63 when the block does not decrypt under the session's ZPK.
func (c *simConn) checkPIN(log *slog.Logger, m *iso8583.Message, card *cardInfo) string {
	if card.pinHash == "" {
		return ""
	}
	if !m.Has(iso8583.FieldPINBlock) {
		return iso8583.RespIncorrectPIN
	}
	zpk := c.keys.Load().ZPK
	if c.h.currentFaults().PINKeyMismatch {
		zpk = c.b.decoyZPK
	}
	pin, err := hsm.DecryptPINBlock0(zpk, m.Bytes(iso8583.FieldPINBlock), card.pan)
	if err != nil {
		log.Warn("request refused: PIN block does not decrypt under the session ZPK", "message", m)
		return iso8583.RespSecurityViolation
	}
	if !pinMatches(card.pinHash, card.pan, pin) || card.behaviour == WrongPIN {
		return iso8583.RespIncorrectPIN
	}
	return ""
}

// reversal answers 0420/0421: reverse the original once, acknowledge always.
func (c *simConn) reversal(ctx context.Context, m *iso8583.Message, raw []byte) {
	if !c.macOK(m, raw) {
		c.refuseMAC(m)
		return
	}
	o, err := wire.ParseOriginalData(m.Get(iso8583.FieldOriginalData))
	if err != nil {
		c.h.log.Warn("reversal refused: bad field 90", "bank", c.b.cfg.Name, "message", m)
		c.reply(m, iso8583.RespFormatError, nil, true)
		return
	}
	code, err := c.h.store.reverse(ctx, c.b.cfg.Name, origKey{acquirer: o.AcquirerID, stan: o.STAN, de7: o.TransmissionTime}, m.Get(iso8583.FieldRRN))
	if err != nil {
		c.h.log.Error("processing reversal failed", "bank", c.b.cfg.Name, "err", err)
		code = iso8583.RespSystemMalfunction
	}
	c.reply(m, code, nil, true)
}
