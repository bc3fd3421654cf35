package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"paygate/internal/notify"
)

func (a *app) notifyCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "notify", Short: "Inspect and resend merchant notifications", Args: noArgs}
	cmd.AddCommand(&cobra.Command{
		Use:   "resend EVENT_ID",
		Short: "Deliver a notification again (a failed one, or one the merchant lost)",
		Long: `resend makes the event due now and restarts its retry schedule; a running
paygate serve delivers it within a second. It is refused while an attempt is in
flight.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("notify resend takes one event id (evt_…)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer d.Close()
			o := notify.NewOutbox(d, nil)
			if err := o.Resend(cmd.Context(), args[0]); err != nil {
				return usageError("%w", err)
			}
			n, err := o.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "event %s (%s to %s) is due again; %d attempt(s) so far\n", n.ID, n.Type, n.URL, len(n.Attempts))
			return nil
		},
	})
	return cmd
}
