package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"paygate/internal/account"
	"paygate/internal/db"
	"paygate/internal/mail"
	"paygate/internal/money"
	"paygate/internal/wallet"
)

// This file wires the 快钱 account half of the gateway (MISSION K1, K2, K4):
// email accounts, their balances, the mail they receive and the pages.

// outboxMailer sends the account service's mail through the mail outbox,
// in the caller's transaction.
type outboxMailer struct{ o *mail.Outbox }

func (m outboxMailer) Send(ctx context.Context, tx *db.Tx, to, subject, text, kind, ref string) error {
	_, err := m.o.Enqueue(ctx, tx, mail.Message{To: to, Subject: subject, Text: text, Kind: kind, Ref: ref})
	return err
}

// findAccount tells the wallet which active account owns an address.
func findAccount(ctx context.Context, tx *db.Tx, email string) (wallet.Recipient, error) {
	a, err := account.ActiveByEmailTx(ctx, tx, email)
	if errors.Is(err, account.ErrNotFound) {
		return wallet.Recipient{}, nil
	}
	return wallet.Recipient{AccountID: a.ID}, err
}

// inviter returns the wallet's invitation: an email to an address that was
// paid but has no account yet, enqueued with the claim.
func inviter(o *mail.Outbox, publicURL string) wallet.InviteFunc {
	return func(ctx context.Context, tx *db.Tx, to string, c wallet.Claim) error {
		from := "Someone"
		if a, err := account.GetTx(ctx, tx, c.FromAccount); err == nil {
			from = a.Email
		}
		note := ""
		if c.Note != "" {
			note = fmt.Sprintf("\n留言 Note: %s\n", c.Note)
		}
		text := fmt.Sprintf(`%[1]s 通过 paygate 向您付款 %[2]s。
%[1]s sent you %[2]s through paygate.
%[3]s
用此邮箱注册并激活账户即可领取，%[4]s 前有效：
Register and activate an account with this email address to claim it before %[4]s:

  %[5]s/account/register?email=%[6]s

过期未领取的款项将退回付款人。Unclaimed money goes back to the sender.
`, from, c.Amount.Format(), note, c.ExpiresAt.In(wallet.ChinaTime).Format("2006-01-02 15:04 (UTC+8)"), publicURL, url.QueryEscape(to))
		_, err := o.Enqueue(ctx, tx, mail.Message{To: to, Subject: "您收到一笔付款 · You have been paid " + c.Amount.Format(),
			Text: text, Kind: "claim_invitation", Ref: c.ID})
		return err
	}
}

// accountLimits reads the per-payment and per-day limits of balance
// payments from the config.
func (c Config) accountLimits() (wallet.Limits, error) {
	var l wallet.Limits
	for _, f := range []struct {
		name, value string
		dst         *int64
	}{{"PAYGATE_ACCOUNT_PAY_LIMIT", c.AccountPayLimit, &l.PerPayment}, {"PAYGATE_ACCOUNT_DAY_LIMIT", c.AccountDayLimit, &l.PerDay}} {
		a, err := money.Parse(f.value, money.CNY)
		if err != nil || a.Minor() < 0 {
			return wallet.Limits{}, usageError("%s %q: want an amount in yuan like 50000.00 (0 for no limit)", f.name, f.value)
		}
		*f.dst = a.Minor()
	}
	return l, nil
}

// mailConfig is the SMTP configuration, or ok=false when no server is set.
func (c Config) mailConfig() (cfg mail.Config, ok bool) {
	if c.SMTPHost == "" {
		return mail.Config{}, false
	}
	return mail.Config{Host: c.SMTPHost, Port: c.SMTPPort, Username: c.SMTPUsername, Password: c.SMTPPassword,
		From: c.SMTPFrom, TLS: mail.TLSPolicy(c.SMTPTLS)}, true
}
