package bank_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"paygate/internal/bank"
	"paygate/internal/bank/hsm"
	"paygate/internal/bank/iso8583"
	"paygate/internal/banksim"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/money"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// Test cards of DESIGN §5.
const (
	cardOK       = "6222020000000000018"
	cardNoFunds  = "6222020000000000026"
	cardWrongPIN = "6222020000000000034"
	cardSilent   = "6222020000000000042"
	cardLimit    = "6222020000000000059"
	cmbOK        = "6214830000000000015"
	cmbDecline   = "6214830000000000023"
	visaOK       = "4111111111111111"
	visaDecline  = "4000000000000002"
	icbcPIN      = "123456"
	cmbPIN       = "888888"
	million      = 1_000_000_00
)

// syncBuffer collects log output from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newLogger(w *syncBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// simEnv is a running bank simulator with icbc, cmb (X9.19, TDES ZMKs) and
// intl (AES-CMAC, AES ZMK) on loopback.
type simEnv struct {
	host *banksim.Host
	zmk  map[string]hsm.Key
	mac  map[string]hsm.MACAlgorithm
	logs *syncBuffer
}

func mustDialect(t testing.TB, name string) *iso8583.Dialect {
	t.Helper()
	d, err := iso8583.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func newSim(t testing.TB, faults banksim.Faults) *simEnv {
	t.Helper()
	e := &simEnv{zmk: map[string]hsm.Key{}, mac: map[string]hsm.MACAlgorithm{}, logs: &syncBuffer{}}
	var banks []banksim.BankConfig
	for _, b := range []struct {
		name string
		kind hsm.Kind
		mac  hsm.MACAlgorithm
	}{{"icbc", hsm.TDES2, hsm.AlgX919}, {"cmb", hsm.TDES2, hsm.AlgX919}, {"intl", hsm.AES128, hsm.AlgAESCMAC}} {
		k, err := hsm.NewKey(b.kind, nil)
		if err != nil {
			t.Fatal(err)
		}
		e.zmk[b.name], e.mac[b.name] = k, b.mac
		banks = append(banks, banksim.BankConfig{Name: b.name, Dialect: mustDialect(t, b.name), Addr: "127.0.0.1:0", ZMK: k, MAC: b.mac})
	}
	h, err := banksim.New(context.Background(), filepath.Join(t.TempDir(), "bank.db"), banks,
		banksim.Options{Logger: newLogger(e.logs), Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Stop)
	e.host = h
	return e
}

// config returns a connector config for bank with short test timeouts.
func (e *simEnv) config(t testing.TB, name string) bank.Config {
	return bank.Config{
		Name: name, Dialect: mustDialect(t, name), Addr: e.host.Addr(name),
		AcquirerID: "48020000", MerchantID: "PAYGATE00000001", TerminalID: "PG000001",
		ZMK: e.zmk[name], MAC: e.mac[name],
		RequestTimeout: 2 * time.Second, ConnectTimeout: 2 * time.Second, EchoInterval: 5 * time.Second,
		ReconnectMin: 10 * time.Millisecond, ReconnectMax: 200 * time.Millisecond,
		ReversalRetry: 50 * time.Millisecond, ReversalRetryMax: 200 * time.Millisecond,
	}
}

// start builds, starts and waits for a connector; it is stopped at cleanup.
func start(t testing.TB, cfg bank.Config, d *db.DB, opts bank.Options) *bank.Connector {
	t.Helper()
	if opts.STANStart == 0 {
		opts.STANStart = 1
	}
	c, err := bank.New(cfg, d, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *simEnv) balance(t testing.TB, pan, cur string) int64 {
	t.Helper()
	v, err := e.host.Balance(context.Background(), pan, cur)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func cny(minor int64) money.Amount { return money.New(minor, money.CNY) }

// reversedChan returns connector options whose OnReversedFunc reports on
// the channel.
func reversedChan() (bank.Options, chan bank.Reversal) {
	ch := make(chan bank.Reversal, 10_000)
	return bank.Options{OnReversedFunc: func(r bank.Reversal) { ch <- r }}, ch
}

// waitFor polls cond until it holds or the deadline passes. It is for
// conditions that become true through the system's own work (a reversal
// worker, a reconnect), never for time passing.
func waitFor(t testing.TB, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// assertNoSecrets fails if logs contain a full PAN or PIN of the test cards.
func assertNoSecrets(t testing.TB, logs string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("log output contains the secret %s…", s[:4])
		}
	}
}
