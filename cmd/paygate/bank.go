package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"paygate/internal/bank/hsm"
	"paygate/internal/bank/iso8583"
	"paygate/internal/banksim"
)

// simBank is one bank of the demo set-up: the simulator serves it and the
// gateway's connectors reach it at the same address with the same ZMK.
type simBank struct {
	name string
	addr string // default listen/dial address
	kind hsm.Kind
	mac  hsm.MACAlgorithm
}

// demoBanks are the banks of DESIGN §5. intl uses AES keys and AES-CMAC
// (a card-not-present link without PINs); the others TDES and X9.19.
var demoBanks = []simBank{
	{"icbc", "127.0.0.1:9101", hsm.TDES2, hsm.AlgX919},
	{"cmb", "127.0.0.1:9102", hsm.TDES2, hsm.AlgX919},
	{"intl", "127.0.0.1:9103", hsm.AES128, hsm.AlgAESCMAC},
}

// bankFlags are the settings both sides of the bank link share.
type bankFlags struct {
	addrs   map[string]*string
	keysDir string
}

func (f *bankFlags) bind(fs *pflag.FlagSet) {
	f.addrs = map[string]*string{}
	for _, b := range demoBanks {
		f.addrs[b.name] = fs.String(b.name+"-addr", b.addr, fmt.Sprintf("address of the %s bank host", b.name))
	}
	fs.StringVar(&f.keysDir, "keys-dir", "", "directory of the zone master keys <bank>.zmk (default DATA_DIR/bank)")
}

func (a *app) bankDir() string { return filepath.Join(a.cfg.DataDir, "bank") }

func (f *bankFlags) dir(a *app) string {
	if f.keysDir != "" {
		return f.keysDir
	}
	return a.bankDir()
}

func (a *app) bankCommand() *cobra.Command {
	var (
		flags  bankFlags
		faults banksim.Faults
		noCut  bool
	)
	cmd := &cobra.Command{
		Use:   "bank",
		Short: "Run the bank-host simulator (icbc, cmb, intl) for demos and tests",
		Long: `bank runs the simulator of the bank hosts of DESIGN §5: one ISO 8583 listener per
bank (icbc: BCD, cmb: ASCII, intl: hex bitmap, AES-CMAC), with the test cards,
their balances, PINs, limits and behaviours, in its own SQLite file
DATA_DIR/bank/banksim.db. Each bank's zone master key is read from
KEYS_DIR/<bank>.zmk, which is generated (mode 0600) on first run; the gateway
reads the same files. Settlement files are written at each bank's cut-off
(23:00 Asia/Shanghai) into DATA_DIR/bank/settlement.
Fault flags inject latency, dropped, duplicated, delayed or corrupted answers
and cut links, drawn from a seeded generator.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runBankSim(cmd.Context(), &flags, faults, !noCut)
		},
	}
	flags.bind(cmd.Flags())
	fs := cmd.Flags()
	fs.DurationVar(&faults.Latency, "latency", 0, "added before every financial answer")
	fs.Float64Var(&faults.Drop, "drop", 0, "share (0–1) of financial and reversal answers never sent")
	fs.Float64Var(&faults.Duplicate, "duplicate", 0, "share of answers sent twice")
	fs.Float64Var(&faults.Delay, "delay", 0, "share of answers sent late (see --delay-by)")
	fs.DurationVar(&faults.DelayBy, "delay-by", 5*time.Second, "how late delayed answers are")
	fs.Float64Var(&faults.Corrupt, "corrupt", 0, "share of answers sent malformed")
	fs.IntVar(&faults.CutAfter, "cut-after", 0, "close each connection after this many requests (0: never)")
	fs.Uint64Var(&faults.Seed, "seed", 1, "seed of the fault generator")
	fs.BoolVar(&noCut, "no-settlement", false, "do not write settlement files at the cut-off")
	cmd.AddCommand(a.bankSettleCommand(), a.bankLinksCommand())
	return cmd
}

// simConfigs builds the simulator's bank list, generating missing ZMKs.
func (a *app) simConfigs(flags *bankFlags) ([]banksim.BankConfig, error) {
	var out []banksim.BankConfig
	for _, b := range demoBanks {
		d, err := iso8583.Lookup(b.name)
		if err != nil {
			return nil, err
		}
		zmk, created, err := loadOrCreateZMK(flags.dir(a), b.name, b.kind)
		if err != nil {
			return nil, err
		}
		if created {
			a.log.Info("generated zone master key", "bank", b.name, "kcv", zmk.KCV(), "dir", flags.dir(a))
		}
		out = append(out, banksim.BankConfig{Name: b.name, Dialect: d, Addr: *flags.addrs[b.name], ZMK: zmk, MAC: b.mac})
	}
	return out, nil
}

func (a *app) runBankSim(ctx context.Context, flags *bankFlags, faults banksim.Faults, settle bool) error {
	h, banks, err := a.startBankSim(ctx, flags, faults, settle)
	if err != nil {
		return err
	}
	defer h.Stop()
	for _, b := range banks {
		fmt.Fprintf(a.stdout, "bank %s (%s, %s) listening on %s, ZMK check value %s\n",
			b.Name, b.Dialect.Name, b.MAC, h.Addr(b.Name), b.ZMK.KCV())
	}
	<-ctx.Done()
	a.log.Info("bank simulator stopping")
	return nil
}

// startBankSim starts the simulator of every demo bank; the caller stops it.
func (a *app) startBankSim(ctx context.Context, flags *bankFlags, faults banksim.Faults, settle bool) (*banksim.Host, []banksim.BankConfig, error) {
	banks, err := a.simConfigs(flags)
	if err != nil {
		return nil, nil, err
	}
	opts := banksim.Options{Logger: a.log, Faults: faults}
	if settle {
		opts.SettlementDir = filepath.Join(a.bankDir(), "settlement")
	}
	h, err := banksim.New(ctx, filepath.Join(a.bankDir(), "banksim.db"), banks, opts)
	if err != nil {
		return nil, nil, err
	}
	if err := h.Start(ctx); err != nil {
		h.Stop()
		return nil, nil, usageError("%w", err)
	}
	return h, banks, nil
}

func (a *app) bankSettleCommand() *cobra.Command {
	var (
		bankName, date, out string
		flags               bankFlags
	)
	cmd := &cobra.Command{
		Use:   "settle",
		Short: "Write a bank's settlement file for a business date",
		Long: `settle writes the simulator's settlement file of one bank for one business date
(docs/settlement-file.md) into DATA_DIR/bank/settlement, or --out, and prints its
path and trailer totals. The simulator need not be running.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if bankName == "" || date == "" {
				return usageError("bank settle needs --bank and --date")
			}
			day, err := time.Parse("2006-01-02", date)
			if err != nil {
				return usageError("--date %q: want YYYY-MM-DD", date)
			}
			var known []string
			for _, b := range demoBanks {
				known = append(known, b.name)
			}
			if !strings.Contains(","+strings.Join(known, ",")+",", ","+bankName+",") {
				return usageError("--bank %q: want one of %s", bankName, strings.Join(known, ", "))
			}
			banks, err := a.simConfigs(&flags)
			if err != nil {
				return err
			}
			h, err := banksim.New(cmd.Context(), filepath.Join(a.bankDir(), "banksim.db"), banks, banksim.Options{Logger: a.log})
			if err != nil {
				return err
			}
			defer h.Stop()
			if out == "" {
				out = filepath.Join(a.bankDir(), "settlement")
			}
			path, err := h.WriteSettlementFile(cmd.Context(), out, bankName, day)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, path)
			return nil
		},
	}
	flags.bind(cmd.Flags())
	cmd.Flags().StringVar(&bankName, "bank", "", "bank: icbc, cmb or intl")
	cmd.Flags().StringVar(&date, "date", "", "business date, YYYY-MM-DD")
	cmd.Flags().StringVar(&out, "out", "", "directory to write into (default DATA_DIR/bank/settlement)")
	return cmd
}
