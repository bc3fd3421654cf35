package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"paygate/internal/account"
	"paygate/internal/auth"
	"paygate/internal/bank"
	"paygate/internal/bank/iso8583"
	"paygate/internal/batchrefund"
	"paygate/internal/channel"
	"paygate/internal/channel/balance"
	"paygate/internal/channel/bankcard"
	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/id"
	"paygate/internal/ledger"
	"paygate/internal/mail"
	"paygate/internal/merchant"
	"paygate/internal/notify"
	"paygate/internal/payment"
	"paygate/internal/payment/refundworker"
	"paygate/internal/staff"
	"paygate/internal/vault"
	"paygate/internal/wallet"
	"paygate/internal/web"
	"paygate/internal/web/accountweb"
	"paygate/internal/web/api"
	"paygate/internal/web/apidoc"
	"paygate/internal/web/cashier"
)

// cardPrefixes routes card numbers to the demo banks (DESIGN §5).
var cardPrefixes = map[string][]string{
	"icbc": {"622202"},
	"cmb":  {"621483"},
	"intl": {"4"},
}

// bankNames are shown on the cashier's bank choice.
var bankNames = map[string][2]string{
	"icbc": {"中国工商银行", "ICBC"},
	"cmb":  {"招商银行", "China Merchants Bank"},
}

// gateway is the server side of paygate, wired: the payment service with
// its bank connectors, the merchant API, the cashier and the notification
// dispatcher, plus the periodic jobs.
type gateway struct {
	db         *db.DB
	ids        *id.Generator
	ledger     *ledger.Ledger
	merchants  *merchant.Store
	payments   *payment.Service
	refunds    *refundworker.Worker
	keys       *auth.GatewayKeys
	outbox     *notify.Outbox
	dispatcher *notify.Dispatcher
	connectors []*bank.Connector
	nonces     *auth.NonceStore
	card       *bankcard.Channel

	// The account side (accounts.go).
	mail     *mail.Outbox
	mailer   *mail.Dispatcher // nil when no SMTP server is configured
	accounts *account.Service
	sessions *account.SessionStore
	wallet   *wallet.Wallet

	// The merchant portal (portal.go).
	staff   *staff.Service
	batches *batchrefund.Service

	handler   http.Handler
	publicURL string
	log       *slog.Logger

	stopOnce sync.Once
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// newGateway builds the gateway over d; publicURL is how payers' browsers
// reach it (for cashier URLs).
func (a *app) newGateway(d *db.DB, flags *bankFlags, publicURL string) (*gateway, error) {
	return a.newGatewayWith(d, flags, publicURL, auth.ED25519)
}

// newGatewayWith is newGateway with the algorithm of a first gateway key.
func (a *app) newGatewayWith(d *db.DB, flags *bankFlags, publicURL string, keyAlg auth.SignType) (*gateway, error) {
	if _, err := url.Parse(publicURL); err != nil {
		return nil, usageError("public URL %q: %w", publicURL, err)
	}
	g := &gateway{db: d, ids: id.NewGenerator(nil, nil), publicURL: publicURL, log: a.log}
	g.ledger = ledger.New(d, g.ids)
	g.merchants = merchant.NewStore(d, g.ids)
	var err error
	if g.keys, err = auth.LoadOrCreateGatewayKeys(filepath.Join(a.cfg.DataDir, "keys"), keyAlg, auth.KeyOptions{}); err != nil {
		return nil, fmt.Errorf("gateway keys: %w", err)
	}
	g.outbox = notify.NewOutbox(d, g.ids)
	g.dispatcher = notify.NewDispatcher(d, g.keys, notify.Options{Logger: a.log})

	limits, err := a.cfg.accountLimits()
	if err != nil {
		return nil, err
	}
	g.mail = mail.NewOutbox(d, g.ids)
	if cfg, ok := a.cfg.mailConfig(); ok {
		sender, err := mail.NewSender(cfg)
		if err != nil {
			return nil, usageError("SMTP: %w", err)
		}
		// Activation and reset links log in: once delivered, the outbox
		// keeps no copy of them.
		g.mailer = mail.NewDispatcher(d, sender, mail.Options{Logger: a.log,
			RedactKinds: []string{account.MailActivation, account.MailReset}})
	}
	g.wallet = wallet.New(d, g.ledger, findAccount, wallet.Options{Logger: a.log, IDs: g.ids, ClaimPeriod: a.cfg.ClaimPeriod,
		Invite: inviter(g.mail, publicURL)})
	g.accounts = account.NewService(d, outboxMailer{g.mail}, account.Options{BaseURL: publicURL, Logger: a.log, IDs: g.ids,
		OnActivate: func(ctx context.Context, tx *db.Tx, acct account.Account) error {
			_, err := g.wallet.ClaimAllTx(ctx, tx, acct.ID, acct.Email)
			return err
		}})
	g.sessions = account.NewSessionStore(d, clock.System{})

	var routes []bankcard.Route
	var banks []cashier.BankOption
	for _, b := range demoBanks {
		dialect, err := iso8583.Lookup(b.name)
		if err != nil {
			return nil, err
		}
		zmk, _, err := loadOrCreateZMK(flags.dir(a), b.name, b.kind)
		if err != nil {
			return nil, err
		}
		c, err := bank.New(bank.Config{
			Name: b.name, Dialect: dialect, Addr: *flags.addrs[b.name], ZMK: zmk, MAC: b.mac,
			AcquirerID: demoAcquirerID, MerchantID: demoMerchantID, TerminalID: demoTerminalID,
		}, d, bank.Options{Logger: a.log, IDs: g.ids, OnReversedFunc: g.reversed})
		if err != nil {
			return nil, usageError("bank %s: %w", b.name, err)
		}
		g.connectors = append(g.connectors, c)
		for _, p := range cardPrefixes[b.name] {
			routes = append(routes, bankcard.Route{Prefix: p, Connector: c})
		}
		if n, ok := bankNames[b.name]; ok {
			banks = append(banks, cashier.BankOption{Code: b.name, NameZH: n[0], NameEN: n[1], Prefixes: cardPrefixes[b.name]})
		}
	}
	g.card = bankcard.New(routes...)
	cards, err := vault.LoadOrCreate(filepath.Join(a.cfg.DataDir, "keys"))
	if err != nil {
		return nil, fmt.Errorf("card vault: %w", err)
	}
	var apiSrv *api.API
	g.payments = payment.NewService(d, g.ledger, g.merchants, []channel.Channel{g.card, balance.New(g.wallet, limits)}, payment.Options{
		Logger: a.log, IDs: g.ids, Vault: cards, RefundWindow: a.cfg.RefundWindow,
		WakeRefundsFunc: func() { g.refunds.Wake() },
		Notify: func(ctx context.Context, tx *db.Tx, merchantID, eventType, url string, data any) error {
			switch v := data.(type) {
			case payment.Payment:
				data = apiSrv.ToJSON(v)
			case payment.Refund:
				data = apiSrv.RefundToJSON(v)
			}
			_, err := g.outbox.Enqueue(ctx, tx, notify.Event{MerchantID: merchantID, Type: eventType, URL: url, Data: data})
			return err
		},
		WakeFunc: g.dispatcher.Wake,
	})
	g.refunds = refundworker.New(g.payments, refundworker.Options{Logger: a.log})
	g.nonces = auth.NewNonceStore(d, clock.System{})
	apiSrv = api.New(api.Deps{
		Logger: a.log, DB: d, Auth: auth.NewVerifier(g.merchants.Keys, g.nonces, clock.System{}),
		Signer: g.keys, Payments: g.payments, Refunds: g.payments, GatewayKeys: func() any { return g.keys.PublicKeys() },
		CashierURL: func(id string) string { return publicURL + "/pay/" + id },
	})
	cash := cashier.New(cashier.Deps{Payments: g.payments, Logger: a.log, Banks: banks,
		ReturnURLFunc: g.returnURL, Authenticate: func(ctx context.Context, email, password string) (string, error) {
			acct, err := g.accounts.Login(ctx, email, password)
			return acct.ID, err
		}})
	pages := accountweb.New(accountweb.Deps{Accounts: g.accounts, Wallet: accountweb.NewWallet(g.wallet, g.ledger, g.card),
		Sessions: account.NewSessionManager(g.sessions, strings.HasPrefix(publicURL, "https://")), Logger: a.log})
	mounts := []func(*http.ServeMux){apiSrv.Routes, apidoc.Routes, func(mux *http.ServeMux) {
		mux.Handle("/pay/", cash)
		mux.Handle("/account/", pages)
		mux.Handle("/portal/", g.newPortal(a))
	}}
	if a.demoMailbox {
		mounts = append(mounts, func(mux *http.ServeMux) {
			mux.Handle("/mailbox", mail.MailboxHandler(g.mail, a.log))
			mux.Handle("/mailbox/", mail.MailboxHandler(g.mail, a.log))
		})
	}
	g.handler = web.NewHandler(web.Deps{Logger: a.log, DB: d, Engine: string(d.Engine()), Version: version(), Mount: mounts})
	return g, nil
}

// reversed routes a bank's acknowledged reversal to what the request was
// for, by its client reference: a wallet top-up or withdrawal, a try at a
// refund (rfa_…), else a payment attempt.
func (g *gateway) reversed(r bank.Reversal) {
	ctx := context.Background()
	handled, err := g.wallet.Reversed(ctx, r.ClientRef)
	switch {
	case handled || err != nil:
	case payment.IsRefundAttempt(r.ClientRef):
		err = g.payments.RefundReversed(ctx, r.ClientRef)
	default:
		err = g.payments.Reversed(ctx, r.ID, r.ClientRef)
	}
	if err != nil {
		g.log.Error("recording a reversal", "reversal_id", r.ID, "client_ref", r.ClientRef, "err", err)
	}
}

// returnURL is the shop's return_url with the payment's signed parameters.
func (g *gateway) returnURL(p payment.Payment) string {
	if p.ReturnURL == "" {
		return ""
	}
	u, err := url.Parse(p.ReturnURL)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("payment_id", p.ID)
	q.Set("merchant_order_no", p.MerchantOrderNo)
	q.Set("status", string(p.Status))
	signed, err := g.keys.SignReturn(q)
	if err != nil {
		return ""
	}
	u.RawQuery = signed.Encode()
	return u.String()
}

// start starts the connectors, the dispatcher and the periodic jobs.
func (g *gateway) start(ctx context.Context, a *app) error {
	ctx, g.cancel = context.WithCancel(ctx)
	for _, c := range g.connectors {
		if err := c.Start(ctx); err != nil {
			return err
		}
	}
	if err := g.dispatcher.Start(ctx); err != nil && !errors.Is(err, notify.ErrStarted) {
		return err
	}
	if err := g.refunds.Start(ctx); err != nil && !errors.Is(err, refundworker.ErrStarted) {
		return err
	}
	if g.mailer != nil {
		if err := g.mailer.Start(ctx); err != nil && !errors.Is(err, mail.ErrStarted) {
			return err
		}
	}
	g.wg.Go(func() {
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if _, err := g.payments.ExpireDue(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("expiring payments", "err", err)
			}
			if err := g.payments.ResolveUnknown(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("resolving unknown attempts", "err", err)
			}
			if err := g.payments.ResolveRefunds(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("resolving unknown refund attempts", "err", err)
			}
			if _, err := g.batches.Resume(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("resuming refund sheet confirmations", "err", err)
			}
			if _, err := g.nonces.Prune(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("pruning nonces", "err", err)
			}
			if err := g.wallet.ResolveOpen(ctx, g.card); err != nil && ctx.Err() == nil {
				a.log.Error("resolving open top-ups and withdrawals", "err", err)
			}
			if _, err := g.wallet.ReturnExpired(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("returning expired claims", "err", err)
			}
			if _, err := g.sessions.Prune(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("pruning sessions", "err", err)
			}
		}
	})
	return nil
}

// stop stops everything start started; it is idempotent.
func (g *gateway) stop() {
	g.stopOnce.Do(func() {
		if g.cancel != nil {
			g.cancel()
		}
		g.wg.Wait()
		if g.batches != nil {
			g.batches.Close() // refund sheets being queued stop; Resume finishes them
		}
		g.refunds.Stop() // before the connectors: tries in flight end first
		g.dispatcher.Stop()
		if g.mailer != nil {
			g.mailer.Stop()
		}
		for _, c := range g.connectors {
			c.Stop()
		}
	})
}
