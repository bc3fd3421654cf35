package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"paygate/internal/id"
	"paygate/internal/ledger"
	"paygate/internal/money"
)

func (a *app) ledgerCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "Inspect the double-entry ledger",
		Args:  noArgs,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Prove the books: balances equal postings, entries balance and are unaltered, totals are zero",
		Long: `check reads every account, entry and posting and proves that each balance
equals the sum of its postings, that no account that forbids it is below zero,
that every entry balances per currency and still matches the hash stored when
it was posted, and that all balances sum to zero per currency.
It exits 0 when the books are clean and 3 when it found problems, naming the
accounts and entries concerned.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer d.Close()
			l := ledger.New(d, id.NewGenerator(nil, nil))
			r, err := l.Check(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Ledger check of %s\n\n", d)
			printReport(a.stdout, r)
			if !r.OK() {
				return &exitError{code: exitProblems, err: fmt.Errorf("ledger check found %d problem(s)", len(r.Problems))}
			}
			return nil
		},
	})
	return cmd
}

// printReport writes a check report as tables.
func printReport(w io.Writer, r ledger.Report) {
	fmt.Fprintf(w, "%d accounts, %d entries, %d postings\n\n", r.Accounts, r.Entries, r.Postings)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "CURRENCY\tACCOUNTS\tMOVED\tSUM OF BALANCES\t")
	for _, t := range r.Totals {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t\n", t.Currency, t.Accounts, money.New(t.Moved, t.Currency), money.New(t.Balance, t.Currency))
	}
	if len(r.Totals) == 0 {
		fmt.Fprintln(tw, "(none yet)\t0\t0\t0\t")
	}
	tw.Flush()
	fmt.Fprintln(w)
	if r.OK() {
		fmt.Fprintln(w, "OK: every balance equals its postings, every entry balances and is unaltered, and the books sum to zero.")
		return
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROBLEM\tACCOUNT\tENTRY\tDETAIL")
	for _, p := range r.Problems {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Kind, dash(p.Account), dash(p.Entry), p.Detail)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nFAILED: %d problem(s).\n", len(r.Problems))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
