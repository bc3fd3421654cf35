package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"paygate/internal/bank"
	"paygate/internal/bank/iso8583"
)

// Demo acquirer identity of the gateway at the simulated banks.
const (
	demoAcquirerID = "48020000"
	demoMerchantID = "PAYGATE00000001"
	demoTerminalID = "PG000001"
)

func (a *app) bankLinksCommand() *cobra.Command {
	var (
		flags   bankFlags
		timeout time.Duration
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "links",
		Short: "Show each bank link's state: signed on, key age, in flight, reversals pending",
		Long: `links connects to every bank host as the gateway does (dial, sign-on with key
exchange, MACed echo), prints each link's state and the reversals still pending
in the gateway's database, and disconnects. It never sends queued reversals.
It exits 1 when a link could not be signed on within --timeout.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.bankLinks(cmd.Context(), &flags, timeout, asJSON)
		},
	}
	flags.bind(cmd.Flags())
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for each sign-on")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	return cmd
}

func (a *app) bankLinks(ctx context.Context, flags *bankFlags, timeout time.Duration, asJSON bool) error {
	d, err := a.openDB(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	var (
		statuses []bank.Status
		down     int
	)
	for _, b := range demoBanks {
		dialect, err := iso8583.Lookup(b.name)
		if err != nil {
			return err
		}
		zmk, _, err := loadOrCreateZMK(flags.dir(a), b.name, b.kind)
		if err != nil {
			return err
		}
		c, err := bank.New(bank.Config{
			Name: b.name, Dialect: dialect, Addr: *flags.addrs[b.name], ZMK: zmk, MAC: b.mac,
			AcquirerID: demoAcquirerID, MerchantID: demoMerchantID, TerminalID: demoTerminalID,
			ConnectTimeout: timeout, RequestTimeout: timeout, PassiveReversals: true,
		}, d, bank.Options{Logger: a.log})
		if err != nil {
			return usageError("%w", err)
		}
		if err := c.Start(ctx); err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, timeout)
		if c.WaitReady(wctx) != nil {
			down++
		}
		cancel()
		st, err := c.Status(ctx)
		c.Stop()
		if err != nil {
			return err
		}
		statuses = append(statuses, st)
	}
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(statuses); err != nil {
			return err
		}
	} else {
		printLinks(a.stdout, statuses)
	}
	if down > 0 {
		return &exitError{code: exitFailure, err: fmt.Errorf("%d bank link(s) not signed on", down)}
	}
	return nil
}

// printLinks writes the operator table.
func printLinks(w io.Writer, statuses []bank.Status) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "BANK\tLINK\tADDR\tSTATE\tSIGNED ON\tKEY AGE\tZAK KCV\tIN FLIGHT\tECHO RTT\tREVERSALS PENDING\tLAST ERROR")
	for _, s := range statuses {
		for _, l := range s.Links {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%d\t%s\n", s.Bank, l.Link, s.Addr, l.State, yesNo(l.SignedOn),
				l.KeyAge.Round(time.Millisecond), dash(l.ZAKCheckValue), l.InFlight, l.EchoRTT.Round(time.Microsecond),
				s.ReversalsPending, dash(l.LastError))
		}
	}
	tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
