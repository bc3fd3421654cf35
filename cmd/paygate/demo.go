package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

// demoCommand runs everything paygate has so far in one process on the
// embedded database and prints where to look. Later issues add the bank
// simulator, the demo shop and seeded logins here.
func (a *app) demoCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole system in one process on the embedded database and print where to click",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.demo(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&a.cfg.Addr, "addr", a.cfg.Addr, "gateway listen address (env PAYGATE_ADDR)")
	return cmd
}

func (a *app) demo(ctx context.Context) error {
	ready := func(addr string) {
		fmt.Fprintf(a.stdout, `
paygate demo is running (data in %s, database %s)

  gateway health   http://%s/healthz

  ledger check     go run ./cmd/paygate ledger check --data-dir %s

Press Ctrl-C to stop.
`, a.cfg.DataDir, a.cfg.DSN(), addr, a.cfg.DataDir)
	}
	return a.runServer(ctx, ready)
}
