package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"paygate/internal/clock"
	"paygate/internal/db"
)

// Exit codes.
const (
	exitOK       = 0
	exitFailure  = 1 // the command ran and found a problem, or failed
	exitUsage    = 2 // bad flags, arguments or configuration
	exitProblems = 3 // ledger check found inconsistencies
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// app holds what every subcommand shares: the config, the output streams
// and, once opened, the database.
type app struct {
	cfg    Config
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
	// demoMailbox mounts the demo mailbox at /mailbox: every email sent,
	// to anyone who asks. Only `paygate demo` sets it.
	demoMailbox bool
}

// run is the whole program, callable from tests: it parses args, runs one
// subcommand until it finishes or ctx is cancelled, and returns the exit code.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	cfg, err := loadConfig(environ)
	if err != nil {
		fmt.Fprintln(stderr, "paygate:", err)
		return exitUsage
	}
	a := &app{cfg: cfg, stdout: stdout, stderr: stderr}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err = root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "paygate:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if isUsage(err) {
		return exitUsage
	}
	return exitFailure
}

// isUsage tells cobra's flag and argument errors from failures.
func isUsage(err error) bool {
	var fe *flagError
	return errors.As(err, &fe) || strings.HasPrefix(err.Error(), "unknown command")
}

// flagError marks errors found while parsing the command line.
type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "paygate",
		Short: "paygate is a self-hostable payment gateway",
		Long: `paygate is a self-hostable third-party payment gateway: a signed merchant API,
bank connectors speaking ISO 8583, a double-entry ledger, notifications,
refunds, reconciliation and settlement, in one binary.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			log, err := a.cfg.newLogger(a.stderr)
			if err != nil {
				return usageError("%w", err)
			}
			a.log = log
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &flagError{err: err} })
	a.cfg.bindGlobal(root.PersistentFlags())
	root.AddCommand(a.demoCommand(), a.serveCommand(), a.migrateCommand(), a.ledgerCommand(), a.versionCommand(), a.bankCommand(), a.merchantCommand(), a.notifyCommand(), a.benchCommand(), a.keysCommand())
	return root
}

// openDB opens (and migrates) the configured database.
func (a *app) openDB(ctx context.Context) (*db.DB, error) {
	if _, _, err := db.ParseDSN(a.cfg.DSN()); err != nil {
		return nil, usageError("%w", err)
	}
	d, err := db.Open(ctx, a.cfg.DSN(), db.Options{Clock: clock.System{}, Logger: a.log})
	if err != nil {
		return nil, err
	}
	return d, nil
}
