package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"paygate/internal/auth"
	"paygate/internal/id"
	"paygate/internal/merchant"
)

func (a *app) merchantCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "merchant", Short: "Create merchants, register their API keys, give their staff portal log-ins", Args: noArgs}
	var (
		name, notifyURL       string
		rateBps, fixed, minim int64
	)
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a merchant and print its id",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer d.Close()
			m, err := merchant.NewStore(d, id.NewGenerator(nil, nil)).Create(cmd.Context(), name, notifyURL,
				merchant.FeePlan{RateBps: rateBps, FixedMinor: fixed, MinMinor: minim})
			if err != nil {
				return usageError("%w", err)
			}
			fmt.Fprintf(a.stdout, "merchant %s created: %q, notify URL %q, fee %d bp + %d minimum %d (minor units)\n",
				m.ID, m.Name, m.NotifyURL, m.Fees.RateBps, m.Fees.FixedMinor, m.Fees.MinMinor)
			fmt.Fprintln(a.stdout, m.ID)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "merchant name (required)")
	create.Flags().StringVar(&notifyURL, "notify-url", "", "default notification URL")
	create.Flags().Int64Var(&rateBps, "fee-rate-bps", 60, "fee rate in basis points (60 = 0.60 %)")
	create.Flags().Int64Var(&fixed, "fee-fixed", 0, "fixed fee per payment, minor units")
	create.Flags().Int64Var(&minim, "fee-min", 0, "minimum fee per payment, minor units")

	var merchantID, keyFile string
	addKey := &cobra.Command{
		Use:   "add-key",
		Short: "Register a merchant's RSA (≥2048 bits) or Ed25519 public key (PEM)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if merchantID == "" || keyFile == "" {
				return usageError("merchant add-key needs --merchant and --key FILE.pem")
			}
			pemData, err := os.ReadFile(keyFile)
			if err != nil {
				return usageError("read key: %w", err)
			}
			d, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer d.Close()
			k, err := merchant.NewStore(d, id.NewGenerator(nil, nil)).AddKey(cmd.Context(), merchantID, pemData)
			if err != nil {
				return usageError("%w", err)
			}
			fmt.Fprintf(a.stdout, "key %s (%s) registered for %s\n", k.ID, k.SignType, merchantID)
			keys, err := auth.LoadOrCreateGatewayKeys(filepath.Join(a.cfg.DataDir, "keys"), auth.ED25519, auth.KeyOptions{})
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, "\nThe gateway signs responses and notifications with these keys (also at GET /v1/gateway-keys):")
			for _, pk := range keys.PublicKeys() {
				fmt.Fprintf(a.stdout, "\nkey_id %s (%s)\n%s", pk.KeyID, pk.Alg, pk.PublicKeyPEM)
			}
			return nil
		},
	}
	addKey.Flags().StringVar(&merchantID, "merchant", "", "merchant id (mch_…)")
	addKey.Flags().StringVar(&keyFile, "key", "", "PEM file with the merchant's public key")
	cmd.AddCommand(create, addKey, a.addStaffCommand())
	return cmd
}
