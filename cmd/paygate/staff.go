package main

import (
	"crypto/rand"
	"fmt"

	"github.com/spf13/cobra"

	"paygate/internal/account"
	"paygate/internal/staff"
)

// addStaffCommand is `paygate merchant add-staff`: a log-in to the
// merchant portal.
func (a *app) addStaffCommand() *cobra.Command {
	var merchantID, email, role, password string
	cmd := &cobra.Command{
		Use:   "add-staff",
		Short: "Give someone a log-in to a merchant's portal (/portal/), as admin, finance or viewer",
		Long: `add-staff creates a merchant portal log-in. Roles: admin (everything), finance
(refunds, refund sheets, exports; no key or settings changes), viewer (read only:
search, detail, export). Without --password a strong one is made up and printed
once; hand it over safely.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if merchantID == "" || email == "" || role == "" {
				return usageError("merchant add-staff needs --merchant, --email and --role admin|finance|viewer")
			}
			r, err := staff.ParseRole(role)
			if err != nil {
				return usageError("--role %q: %w", role, err)
			}
			made := password == ""
			if made {
				password = newPassword()
			}
			d, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer d.Close()
			m, err := staff.NewService(d, staff.Options{Logger: a.log}).Create(cmd.Context(), merchantID, email, password, r)
			if err != nil {
				return usageError("%w", err)
			}
			fmt.Fprintf(a.stdout, "staff %s created for %s: %s, role %s\n", m.ID, m.MerchantID, m.Email, m.Role)
			if made {
				fmt.Fprintf(a.stdout, "password: %s\n", password)
			}
			fmt.Fprintf(a.stdout, "log in at %s/portal/login\n", a.publicURL(a.cfg.Addr))
			return nil
		},
	}
	cmd.Flags().StringVar(&merchantID, "merchant", "", "merchant id (mch_…)")
	cmd.Flags().StringVar(&email, "email", "", "the log-in email")
	cmd.Flags().StringVar(&role, "role", "", "admin, finance or viewer")
	cmd.Flags().StringVar(&password, "password", "", "the password (default: make one up and print it)")
	return cmd
}

// passwordAlphabet leaves out look-alikes (0/O, 1/l/I).
const passwordAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// newPassword makes up a 20-character password that passes
// account.CheckPassword (about 116 bits).
func newPassword() string {
	const n, limit = 20, 256 - 256%len(passwordAlphabet) // bytes below limit map evenly
	for {
		out := make([]byte, 0, n)
		buf := make([]byte, 2*n)
		for len(out) < n {
			rand.Read(buf) // never fails (crypto/rand, Go 1.24+)
			for _, c := range buf {
				if int(c) < limit && len(out) < n {
					out = append(out, passwordAlphabet[int(c)%len(passwordAlphabet)])
				}
			}
		}
		if account.CheckPassword(string(out)) == nil {
			return string(out)
		}
	}
}
