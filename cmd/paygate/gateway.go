package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"time"

	"paygate/internal/auth"
	"paygate/internal/bank"
	"paygate/internal/bank/iso8583"
	"paygate/internal/channel"
	"paygate/internal/channel/bankcard"
	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/id"
	"paygate/internal/ledger"
	"paygate/internal/merchant"
	"paygate/internal/notify"
	"paygate/internal/payment"
	"paygate/internal/web"
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
	keys       *auth.GatewayKeys
	outbox     *notify.Outbox
	dispatcher *notify.Dispatcher
	connectors []*bank.Connector
	nonces     *auth.NonceStore
	handler    http.Handler
	publicURL  string

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
	g := &gateway{db: d, ids: id.NewGenerator(nil, nil), publicURL: publicURL}
	g.ledger = ledger.New(d, g.ids)
	g.merchants = merchant.NewStore(d, g.ids)
	var err error
	if g.keys, err = auth.LoadOrCreateGatewayKeys(filepath.Join(a.cfg.DataDir, "keys"), keyAlg, auth.KeyOptions{}); err != nil {
		return nil, fmt.Errorf("gateway keys: %w", err)
	}
	g.outbox = notify.NewOutbox(d, g.ids)
	g.dispatcher = notify.NewDispatcher(d, g.keys, notify.Options{Logger: a.log})

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
		var svc **payment.Service = &g.payments
		c, err := bank.New(bank.Config{
			Name: b.name, Dialect: dialect, Addr: *flags.addrs[b.name], ZMK: zmk, MAC: b.mac,
			AcquirerID: demoAcquirerID, MerchantID: demoMerchantID, TerminalID: demoTerminalID,
		}, d, bank.Options{Logger: a.log, IDs: g.ids, OnReversedFunc: func(r bank.Reversal) {
			if err := (*svc).Reversed(context.Background(), r.ID, r.ClientRef); err != nil {
				a.log.Error("recording a reversal", "reversal_id", r.ID, "err", err)
			}
		}})
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
	var apiSrv *api.API
	g.payments = payment.NewService(d, g.ledger, g.merchants, []channel.Channel{bankcard.New(routes...)}, payment.Options{
		Logger: a.log, IDs: g.ids,
		Notify: func(ctx context.Context, tx *db.Tx, merchantID, eventType, url string, data any) error {
			if p, ok := data.(payment.Payment); ok {
				data = apiSrv.ToJSON(p)
			}
			_, err := g.outbox.Enqueue(ctx, tx, notify.Event{MerchantID: merchantID, Type: eventType, URL: url, Data: data})
			return err
		},
		WakeFunc: g.dispatcher.Wake,
	})
	g.nonces = auth.NewNonceStore(d, clock.System{})
	apiSrv = api.New(api.Deps{
		Logger: a.log, DB: d, Auth: auth.NewVerifier(g.merchants.Keys, g.nonces, clock.System{}),
		Signer: g.keys, Payments: g.payments, GatewayKeys: func() any { return g.keys.PublicKeys() },
		CashierURL: func(id string) string { return publicURL + "/pay/" + id },
	})
	cash := cashier.New(cashier.Deps{Payments: g.payments, Logger: a.log, Banks: banks,
		ReturnURLFunc: g.returnURL})
	g.handler = web.NewHandler(web.Deps{Logger: a.log, DB: d, Engine: string(d.Engine()), Version: version(),
		Mount: []func(*http.ServeMux){apiSrv.Routes, apidoc.Routes, func(mux *http.ServeMux) { mux.Handle("/pay/", cash) }}})
	return g, nil
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
			if _, err := g.nonces.Prune(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("pruning nonces", "err", err)
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
		g.dispatcher.Stop()
		for _, c := range g.connectors {
			c.Stop()
		}
	})
}
