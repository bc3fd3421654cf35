package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func (a *app) serveCommand() *cobra.Command {
	var flags bankFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway: merchant API, cashier, bank connectors, notifications",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runServer(cmd.Context(), &flags, nil, func(addr string) {
				fmt.Fprintf(a.stdout, "paygate listening on %s (health: /healthz)\n", a.publicURL(addr))
			})
		},
	}
	cmd.Flags().StringVar(&a.cfg.Addr, "addr", a.cfg.Addr, "listen address (env PAYGATE_ADDR)")
	cmd.Flags().StringVar(&a.cfg.PublicURL, "public-url", a.cfg.PublicURL, "URL payers and merchants reach the gateway at (env PAYGATE_PUBLIC_URL; default http://ADDR)")
	flags.bind(cmd.Flags())
	return cmd
}

// shutdownGrace bounds how long serve waits for in-flight requests on SIGTERM.
const shutdownGrace = 10 * time.Second

func (a *app) publicURL(addr string) string {
	if a.cfg.PublicURL != "" {
		return strings.TrimSuffix(a.cfg.PublicURL, "/")
	}
	return "http://" + addr
}

// runServer runs the gateway until ctx is cancelled. Once it listens it
// calls started (if set) with the wired gateway and its URL — the demo seeds
// its merchant and starts its shop there — and then ready.
func (a *app) runServer(ctx context.Context, flags *bankFlags, started func(g *gateway, url string) error, ready func(addr string)) error {
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
	g, err := a.newGateway(d, flags, a.publicURL(ln.Addr().String()))
	if err != nil {
		ln.Close()
		return err
	}
	if err := g.start(ctx, a); err != nil {
		ln.Close()
		g.stop()
		return err
	}
	defer g.stop()
	srv := &http.Server{
		Handler:           g.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.log.Info("listening", "addr", ln.Addr().String(), "db", d.String())
	if started != nil {
		if err := started(g, a.publicURL(ln.Addr().String())); err != nil {
			srv.Close()
			return err
		}
	}
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
