// Package internal_test holds the import rules of STYLE.md §4 as a test, so
// that a downhill arrow that turns uphill fails CI.
package internal_test

import (
	"os/exec"
	"strings"
	"testing"
)

// foundation packages import only the standard library.
var foundation = []string{"paygate/internal/money", "paygate/internal/id", "paygate/internal/errs", "paygate/internal/clock"}

// allowed lists, per package, the paygate packages it may import; packages not
// listed here are checked only by the general rules.
var allowed = map[string][]string{
	"paygate/internal/ledger":   {"paygate/internal/db", "paygate/internal/errs", "paygate/internal/id", "paygate/internal/money", "paygate/internal/clock"},
	"paygate/internal/db":       {"paygate/internal/clock"},
	"paygate/internal/bank/hsm": {},
	// The payment service reaches banks only through the channel seam.
	"paygate/internal/payment": {"paygate/internal/channel", "paygate/internal/clock", "paygate/internal/db", "paygate/internal/errs",
		"paygate/internal/id", "paygate/internal/ledger", "paygate/internal/merchant", "paygate/internal/money"},
	"paygate/internal/channel": {"paygate/internal/db", "paygate/internal/money"},
	"paygate/internal/notify":  {"paygate/internal/db", "paygate/internal/errs", "paygate/internal/id", "paygate/internal/clock", "paygate/internal/jobs"},
	"paygate/internal/jobs":    {},
	"paygate/internal/auth":    {"paygate/internal/clock", "paygate/internal/db", "paygate/internal/errs"},
	"paygate/internal/mail":    {"paygate/internal/db", "paygate/internal/errs", "paygate/internal/id", "paygate/internal/jobs"},
	// The wallet learns who owns an address through a function, not by
	// importing the account package.
	"paygate/internal/wallet": {"paygate/internal/channel", "paygate/internal/clock", "paygate/internal/db", "paygate/internal/errs",
		"paygate/internal/id", "paygate/internal/ledger", "paygate/internal/money"},
	// A payment channel knows its provider and the channel seam, not payments.
	"paygate/internal/channel/balance": {"paygate/internal/channel", "paygate/internal/db", "paygate/internal/errs", "paygate/internal/wallet"},
	// Sealing secrets needs nothing of paygate.
	"paygate/internal/vault": {},
	// The refund worker drives the payment service's refunds; payment itself
	// takes the vault and the worker through small interfaces.
	"paygate/internal/payment/refundworker": {"paygate/internal/jobs", "paygate/internal/payment"},
	// The refund sheet works through the payment service, never the ledger.
	"paygate/internal/batchrefund": {"paygate/internal/clock", "paygate/internal/db", "paygate/internal/errs", "paygate/internal/id",
		"paygate/internal/money", "paygate/internal/payment"},
	"paygate/internal/staff": {"paygate/internal/account", "paygate/internal/clock", "paygate/internal/db", "paygate/internal/errs",
		"paygate/internal/id", "paygate/internal/merchant"},
	// The pages' shared plumbing knows nothing of any service.
	"paygate/internal/web/ui": {"paygate/internal/errs", "paygate/internal/money"},
}

func TestImportRules(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "paygate/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	imports := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		imports[f[0]] = f[1:]
	}
	if len(imports) < 5 {
		t.Fatalf("go list found only %d packages", len(imports))
	}
	for pkg, imps := range imports {
		for _, imp := range imps {
			if !strings.HasPrefix(imp, "paygate/") {
				continue
			}
			switch {
			case strings.HasPrefix(imp, "paygate/cmd/"):
				t.Errorf("%s imports %s: nothing imports cmd", pkg, imp)
			case strings.HasPrefix(pkg, "paygate/sdk") && strings.HasPrefix(imp, "paygate/internal/"):
				t.Errorf("%s imports %s: the merchant SDK stands alone", pkg, imp)
			case strings.HasPrefix(pkg, "paygate/examples/") && strings.HasPrefix(imp, "paygate/internal/"):
				t.Errorf("%s imports %s: examples use only the public SDK", pkg, imp)
			case contains(foundation, pkg):
				t.Errorf("%s imports %s: foundation packages use only the standard library", pkg, imp)
			case allowed[pkg] != nil && !contains(allowed[pkg], imp):
				t.Errorf("%s imports %s: not among its allowed imports %v", pkg, imp, allowed[pkg])
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
