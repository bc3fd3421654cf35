package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"paygate/internal/auth"
)

// keysCommand lists and rotates the gateway's signing keys.
func (a *app) keysCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "List and rotate the gateway's signing keys (DATA_DIR/keys)", Args: noArgs}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "Print the gateway's public keys, newest first",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			g, err := auth.LoadOrCreateGatewayKeys(filepath.Join(a.cfg.DataDir, "keys"), auth.ED25519, auth.KeyOptions{})
			if err != nil {
				return err
			}
			active := g.ActiveKeyID()
			for _, k := range g.PublicKeys() {
				mark := ""
				if k.KeyID == active {
					mark = " (signing)"
				}
				fmt.Fprintf(a.stdout, "key_id %s %s active from %s%s\n%s\n", k.KeyID, k.Alg, k.ActiveFrom.Format(time.RFC3339), mark, k.PublicKeyPEM)
			}
			return nil
		},
	})
	var (
		alg   string
		after time.Duration
	)
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Add a new signing key; the old ones stay published so signatures made with them still verify",
		Long: `rotate writes a new gateway key into DATA_DIR/keys. It starts signing after
--activate-after, so that every instance sharing the directory (and every
merchant caching GET /v1/gateway-keys) knows it first. Retire an old key by
deleting its file once nothing signed with it needs verifying.`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			t, err := auth.ParseSignType(strings.ToUpper(alg))
			if err != nil {
				return usageError("--alg: %w", err)
			}
			k, err := auth.Rotate(filepath.Join(a.cfg.DataDir, "keys"), t, auth.KeyOptions{ActivateAfter: after})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "new key %s (%s) signs from %s\n%s", k.KeyID, k.Alg, k.ActiveFrom.Format(time.RFC3339), k.PublicKeyPEM)
			return nil
		},
	}
	rotate.Flags().StringVar(&alg, "alg", "ed25519", "ed25519 or rsa2")
	rotate.Flags().DurationVar(&after, "activate-after", 5*time.Minute, "delay before the new key starts signing")
	cmd.AddCommand(rotate)
	return cmd
}
