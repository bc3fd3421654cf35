package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"paygate/internal/banksim"
)

// demoCommand runs everything paygate has so far in one process on the
// embedded database and prints where to look: the gateway's HTTP server and
// the bank-host simulator with its test cards. Later issues add the payment
// API, the cashier, the demo shop and seeded logins here.
func (a *app) demoCommand() *cobra.Command {
	var (
		flags    bankFlags
		shopAddr string
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole system in one process on the embedded database and print where to click",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.demo(cmd.Context(), &flags, shopAddr)
		},
	}
	cmd.Flags().StringVar(&a.cfg.Addr, "addr", a.cfg.Addr, "gateway listen address (env PAYGATE_ADDR)")
	cmd.Flags().StringVar(&shopAddr, "shop-addr", "127.0.0.1:8090", "demo shop listen address")
	flags.bind(cmd.Flags())
	return cmd
}

func (a *app) demo(ctx context.Context, flags *bankFlags, shopAddr string) error {
	a.demoMailbox = true
	sim, banks, err := a.startBankSim(ctx, flags, banksim.Faults{}, true)
	if err != nil {
		return err
	}
	defer sim.Stop()
	var bankLines strings.Builder
	for _, b := range banks {
		*flags.addrs[b.Name] = sim.Addr(b.Name) // the gateway dials where the simulator listens
		fmt.Fprintf(&bankLines, "  bank %-5s      %s (ISO 8583, %s dialect, %s MACs)\n", b.Name, sim.Addr(b.Name), b.Dialect.Name, b.MAC)
	}
	var shopURL string
	var stopShop func()
	defer func() {
		if stopShop != nil {
			stopShop()
		}
	}()
	started := func(g *gateway, gatewayURL string) error {
		var err error
		shopURL, stopShop, err = a.seedShop(ctx, g, gatewayURL, shopAddr)
		if err != nil {
			return err
		}
		return a.seedPayer(ctx, g)
	}
	ready := func(addr string) {
		fmt.Fprintf(a.stdout, `
paygate demo is running (data in %[1]s, database %[2]s)

  demo shop        %[3]s/        ← start here: buy something, pay on the cashier
  accounts         %[4]s/account/   (register, top up, pay to an email, statements)
  merchant portal  %[4]s/portal/    (the tea shop's payments, refunds, refund sheets, keys)
  mailbox          %[4]s/mailbox    (every email the gateway sent: activation links…)
  gateway health   %[4]s/healthz
  API reference    %[4]s/docs   (OpenAPI 3.1 at /openapi.json; guide: docs/integration.md)
%[5]s
Demo login (pays from its balance on the cashier's "Account balance" tab):
  %[6]s  password %[7]s  (topped up 5,000.00 from card 6214830000000000015)

Merchant portal logins of the tea shop (password %[7]s):
  %[8]s

Test cards (the simulator's; PINs are the bank's password):
  6222020000000000018  icbc  PIN 123456  approves; balance 1,000,000.00 CNY
  6222020000000000026  icbc  PIN 123456  declines 51 insufficient funds
  6222020000000000034  icbc  PIN 123456  declines 55 wrong PIN, whatever PIN is sent
  6222020000000000042  icbc  PIN 123456  never answers: forces timeout and reversal
  6222020000000000059  icbc  PIN 123456  single-payment limit 5,000.00 CNY (61)
  6214830000000000015  cmb   PIN 888888  approves; balance 1,000,000.00 CNY
  6214830000000000023  cmb   PIN 888888  declines 05 do not honour
  4111111111111111     intl  exp 12/30   approves in USD, EUR, CNY
  4000000000000002     intl              declines 05

Try:
  go run ./cmd/paygate bank links --data-dir %[1]s     sign on to each bank and show the links
  go run ./cmd/paygate ledger check --data-dir %[1]s   prove the books

Press Ctrl-C to stop.
`, a.cfg.DataDir, a.cfg.DSN(), shopURL, a.publicURL(addr), bankLines.String(), demoPayerEmail, demoPayerPassword,
			staffLines())
	}
	return a.runServer(ctx, flags, started, ready)
}

// staffLines lists the demo portal log-ins with their roles.
func staffLines() string {
	var b strings.Builder
	for i, s := range demoStaff {
		if i > 0 {
			b.WriteString("\n  ")
		}
		fmt.Fprintf(&b, "%-22s %s", s.email, s.role)
	}
	return b.String()
}
