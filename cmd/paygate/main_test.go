package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/id"
	"paygate/internal/ledger"
	"paygate/internal/money"
)

// runMainEnv makes the test binary act as the paygate binary, so tests can
// start it as a real process and send it signals.
const runMainEnv = "PAYGATE_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	dbtest.Main(m)
}

// runPaygate runs the program in-process and returns its exit code and output.
func runPaygate(t *testing.T, environ []string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, environ, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestLedgerCheckOnFreshDataDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "fresh")
	code, out, errOut := runPaygate(t, nil, "ledger", "check", "--data-dir", dir)
	if code != exitOK || !strings.Contains(out, "OK:") || !strings.Contains(out, "0 accounts, 0 entries, 0 postings") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "paygate.db")); err != nil {
		t.Fatalf("no database in the data directory: %v", err)
	}
}

// TestLedgerCheckNamesAlteredAccount posts entries, alters one posting by hand
// and expects check to name the account and exit non-zero, on both engines.
func TestLedgerCheckNamesAlteredAccount(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			dsn := "sqlite:" + filepath.Join(t.TempDir(), "paygate.db")
			if engine == "postgres" {
				dsn = dbtest.PostgresDSN(t)
			}
			ctx := context.Background()
			d, err := db.Open(ctx, dsn, db.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			l := ledger.New(d, id.NewGenerator(nil, nil))
			if err := l.OpenAccounts(ctx,
				ledger.AccountSpec{Name: "bank:icbc:clearing", Currency: "CNY", AllowNegative: true},
				ledger.AccountSpec{Name: "merchant:mch_1:available", Currency: "CNY"}); err != nil {
				t.Fatal(err)
			}
			if _, err := l.Commit(ctx, ledger.Entry{Key: "pay_1", Postings: ledger.Transfer("bank:icbc:clearing", "merchant:mch_1:available", money.New(12_34, "CNY"))}); err != nil {
				t.Fatal(err)
			}
			code, out, _ := runPaygate(t, nil, "ledger", "check", "--db", dsn)
			if code != exitOK || !strings.Contains(out, "CNY") || !strings.Contains(out, "12.34") {
				t.Fatalf("clean check: exit %d\n%s", code, out)
			}
			if _, err := d.ExecRaw(ctx, `UPDATE ledger_postings SET amount_minor = amount_minor + 100
WHERE account_id = (SELECT id FROM ledger_accounts WHERE name = 'merchant:mch_1:available')`); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := runPaygate(t, nil, "ledger", "check", "--db", dsn)
			if code != exitProblems || !strings.Contains(out, "balance_mismatch  merchant:mch_1:available") || !strings.Contains(errOut, "problem") {
				t.Fatalf("altered check: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
		})
	}
}

func TestConfigFromEnvironmentAndFlags(t *testing.T) {
	t.Parallel()
	envDir, flagDir := filepath.Join(t.TempDir(), "env"), filepath.Join(t.TempDir(), "flag")
	environ := []string{"PAYGATE_DATA_DIR=" + envDir, "PAYGATE_LOG_LEVEL=warn"}
	if code, out, _ := runPaygate(t, environ, "ledger", "check"); code != exitOK || !strings.Contains(out, envDir) {
		t.Fatalf("env: exit %d, %s", code, out)
	}
	if code, out, _ := runPaygate(t, environ, "ledger", "check", "--data-dir", flagDir); code != exitOK || !strings.Contains(out, flagDir) {
		t.Fatalf("flag over env: exit %d, %s", code, out)
	}
	dbFile := filepath.Join(t.TempDir(), "x.db")
	if code, out, _ := runPaygate(t, []string{"PAYGATE_DB=sqlite:" + dbFile}, "migrate"); code != exitOK || !strings.Contains(out, dbFile) {
		t.Fatalf("PAYGATE_DB: exit %d, %s", code, out)
	}
}

func TestBadInvocationsAreUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name    string
		environ []string
		args    []string
		want    string
	}{
		{"UnknownFlag", nil, []string{"ledger", "check", "--bogus"}, "unknown flag"},
		{"UnknownCommand", nil, []string{"frobnicate"}, "unknown command"},
		{"ExtraArgument", nil, []string{"version", "extra"}, "takes no arguments"},
		{"BadLogLevel", nil, []string{"version", "--log-level", "loud"}, "log level"},
		{"BadDSN", nil, []string{"ledger", "check", "--db", "mysql://x/y"}, "unknown scheme"},
		{"BadListenAddress", []string{"PAYGATE_DATA_DIR=" + dir}, []string{"serve", "--addr", "nonsense"}, "listen on nonsense"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runPaygate(t, tt.environ, tt.args...)
			if code != exitUsage || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut, exitUsage, tt.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	if code, out, _ := runPaygate(t, nil, "version"); code != exitOK || !strings.HasPrefix(out, "paygate ") {
		t.Fatalf("exit %d, %q", code, out)
	}
}

// TestServeHealthzAndSIGTERM starts paygate serve as a real process, asks
// /healthz, sends SIGTERM and expects a clean exit.
func TestServeHealthzAndSIGTERM(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir())
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	lines := bufio.NewScanner(stdout)
	var base string
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "paygate listening on "); ok {
			base, _, _ = strings.Cut(rest, " ")
			break
		}
	}
	if base == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("serve never said where it listens; stderr:\n%s", stderr.String())
	}
	go io.Copy(io.Discard, stdout)

	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var health map[string]string
	json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || health["status"] != "ok" || health["db"] != "sqlite" || resp.Header.Get("Paygate-Request-Id") == "" {
		t.Fatalf("GET /healthz = %d %v", resp.StatusCode, health)
	}
	if resp, err := client.Get(base + "/nope"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /nope = %v, %v", resp, err)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("after SIGTERM: %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("serve did not stop within 15 s of SIGTERM; stderr:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "stopped cleanly") {
		t.Fatalf("no clean-stop log line; stderr:\n%s", stderr.String())
	}
}

func TestMaskDSN(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"postgres://pay:s3cret@db:5432/paygate":       "postgres://pay:xxxxx@db:5432/paygate",
		"postgres://db/paygate":                       "postgres://db/paygate",
		"host=db user=pay password=s3cret dbname=pg":  "host=db user=pay password=xxxxx dbname=pg",
		"postgresql://pay@db/paygate?sslmode=disable": "postgresql://pay@db/paygate?sslmode=disable",
	}
	for in, want := range tests {
		if got := maskDSN(in); got != want {
			t.Errorf("maskDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDemoPrintsWhereToClick runs the demo in-process, follows the health URL
// it prints, signs on to the banks it prints with `bank links`, and stops it
// by cancelling its context.
func TestDemoPrintsWhereToClick(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		var stderr bytes.Buffer
		done <- run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--data-dir", dir, "--shop-addr", "127.0.0.1:0",
			"--icbc-addr", "127.0.0.1:0", "--cmb-addr", "127.0.0.1:0", "--intl-addr", "127.0.0.1:0"}, nil, pw, &stderr)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var health, portalURL string
	banks := map[string]string{}
	staffRoles := map[string]string{}
	for lines.Scan() {
		f := strings.Fields(lines.Text())
		switch {
		case len(f) >= 3 && f[0] == "bank":
			banks[f[1]] = f[2]
		case len(f) >= 3 && f[0] == "gateway" && f[1] == "health":
			health = f[2]
		case len(f) >= 3 && f[0] == "merchant" && f[1] == "portal":
			portalURL = f[2]
		case len(f) == 2 && strings.HasSuffix(f[0], "@teashop.test"):
			staffRoles[f[0]] = f[1]
		}
		if strings.HasPrefix(lines.Text(), "Press Ctrl-C") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if !strings.HasPrefix(health, "http://127.0.0.1:") || len(banks) != 3 {
		t.Fatalf("demo printed health %q and banks %v", health, banks)
	}
	resp, err := http.Get(health)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %v, %v", health, resp, err)
	}
	resp.Body.Close()
	docs := strings.TrimSuffix(health, "/healthz") + "/docs"
	if resp, err := http.Get(docs); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %v, %v", docs, resp, err)
	} else {
		resp.Body.Close()
	}
	if !strings.HasSuffix(portalURL, "/portal/") || staffRoles["admin@teashop.test"] != "admin" ||
		staffRoles["finance@teashop.test"] != "finance" || staffRoles["viewer@teashop.test"] != "viewer" {
		t.Fatalf("demo printed portal %q and logins %v", portalURL, staffRoles)
	}
	portalLogin(t, portalURL, "finance@teashop.test", demoStaffPassword)
	code, stdout, stderr := runPaygate(t, nil, "bank", "links", "--data-dir", dir, "--timeout", "3s",
		"--icbc-addr", banks["icbc"], "--cmb-addr", banks["cmb"], "--intl-addr", banks["intl"])
	if code != exitOK || strings.Count(stdout, " up ") != 3 {
		t.Fatalf("bank links against the demo: exit %d\n%s\n%s", code, stdout, stderr)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("demo exited %d", code)
	}
}

func TestMerchantAndNotifyCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, errOut := runPaygate(t, nil, "merchant", "create", "--data-dir", dir, "--name", "Tea 茶", "--notify-url", "https://shop.example/n")
	if code != exitOK {
		t.Fatalf("merchant create: exit %d %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	mid := lines[len(lines)-1]
	if !strings.HasPrefix(mid, "mch_") {
		t.Fatalf("merchant create printed %q", out)
	}
	pemFile := filepath.Join(dir, "pub.pem")
	os.WriteFile(pemFile, []byte("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n"), 0o600)
	if code, out, errOut := runPaygate(t, nil, "merchant", "add-key", "--data-dir", dir, "--merchant", mid, "--key", pemFile); code != exitOK || !strings.Contains(out, "ED25519") || !strings.Contains(out, "BEGIN PUBLIC KEY") {
		t.Fatalf("add-key: exit %d %s %s", code, out, errOut)
	}
	if code, _, errOut := runPaygate(t, nil, "merchant", "add-key", "--data-dir", dir, "--merchant", mid, "--key", pemFile); code != exitUsage || !strings.Contains(errOut, "already registered") {
		t.Fatalf("second add-key: exit %d %s", code, errOut)
	}
	os.WriteFile(pemFile, []byte("not a key"), 0o600)
	if code, _, errOut := runPaygate(t, nil, "merchant", "add-key", "--data-dir", dir, "--merchant", mid, "--key", pemFile); code != exitUsage || !strings.Contains(errOut, "merchant_key_invalid") {
		t.Fatalf("bad key: exit %d %s", code, errOut)
	}
	if code, _, _ := runPaygate(t, nil, "merchant", "create", "--data-dir", dir); code != exitUsage {
		t.Fatalf("nameless merchant: exit %d", code)
	}
	if code, _, errOut := runPaygate(t, nil, "notify", "resend", "evt_nope", "--data-dir", dir); code != exitUsage || !strings.Contains(errOut, "not") {
		t.Fatalf("resend unknown: exit %d %s", code, errOut)
	}
}

// TestBenchRuns is a smoke test of paygate bench: complete payments happen
// and the table is printed.
func TestBenchRuns(t *testing.T) {
	t.Parallel()
	code, out, errOut := runPaygate(t, nil, "bench", "--duration", "300ms", "--concurrency", "2", "--log-level", "warn")
	if code != exitOK || !strings.Contains(out, "payments/s") || !strings.Contains(out, "payments completed") {
		t.Fatalf("bench: exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out, "first failure") {
		t.Fatalf("bench had failures:\n%s", out)
	}
}

func TestKeysListAndRotate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, errOut := runPaygate(t, nil, "keys", "list", "--data-dir", dir)
	if code != exitOK || strings.Count(out, "key_id ") != 1 || !strings.Contains(out, "(signing)") {
		t.Fatalf("keys list: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := runPaygate(t, nil, "keys", "rotate", "--data-dir", dir, "--alg", "rsa2", "--activate-after", "0s"); code != exitOK || !strings.Contains(out, "RSA2") {
		t.Fatalf("keys rotate: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runPaygate(t, nil, "keys", "list", "--data-dir", dir)
	if code != exitOK || strings.Count(out, "key_id ") != 2 || !strings.Contains(out, "RSA2 active from") {
		t.Fatalf("after rotate:\n%s", out)
	}
	if code, _, _ := runPaygate(t, nil, "keys", "rotate", "--data-dir", dir, "--alg", "dsa"); code != exitUsage {
		t.Fatalf("bad alg: exit %d", code)
	}
}
