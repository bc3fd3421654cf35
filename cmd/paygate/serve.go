package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"paygate/internal/web"
)

func (a *app) serveCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway's HTTP server",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runServer(cmd.Context(), func(addr string) {
				fmt.Fprintf(a.stdout, "paygate listening on http://%s (health: /healthz)\n", addr)
			})
		},
	}
	cmd.Flags().StringVar(&a.cfg.Addr, "addr", a.cfg.Addr, "listen address (env PAYGATE_ADDR)")
	return cmd
}

// shutdownGrace bounds how long serve waits for in-flight requests on SIGTERM.
const shutdownGrace = 10 * time.Second

// runServer runs the gateway until ctx is cancelled, calling ready with the
// address once it listens.
func (a *app) runServer(ctx context.Context, ready func(addr string)) error {
	a.log.Info("starting paygate", "version", version(), "config", a.cfg)
	d, err := a.openDB(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return usageError("listen on %s: %w", a.cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           web.NewHandler(web.Deps{Logger: a.log, DB: d, Engine: string(d.Engine()), Version: version()}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.log.Info("listening", "addr", ln.Addr().String(), "db", d.String())
	ready(ln.Addr().String())

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down", "grace", shutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	a.log.Info("stopped cleanly")
	return nil
}

// noArgs refuses positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError("%s takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}
