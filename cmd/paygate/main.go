// Command paygate is the one binary of the paygate payment gateway: the
// gateway server, its operator tools, and (in later issues) the bank
// simulator and the demo.
//
// Configuration comes from flags, then PAYGATE_* environment variables, then
// defaults; see [Config].
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
