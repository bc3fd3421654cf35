package main

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"paygate/internal/auth"
	"paygate/internal/banksim"
	"paygate/internal/db"
	"paygate/internal/merchant"
	"paygate/sdk"
)

// benchCommand drives the full payment path on loopback (DESIGN §8).
func (a *app) benchCommand() *cobra.Command {
	var (
		duration    time.Duration
		concurrency int
		keyAlg      string
		cpuProfile  string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure complete payments per second: API → cashier → ISO 8583 → ledger → notification",
		Long: `bench starts the bank simulator, a gateway and a notification receiver on
loopback, in a fresh data directory (or on --db), and runs payments from
--concurrency clients for --duration: a signed API create, a card payment with
6222020000000000018 through the cashier, the ISO 8583 debit at the simulator,
the ledger entry, and the signed notification verified by the receiver. It
prints payments/s and latency percentiles beside the machine's own limits
measured in the same run (RSA-2048 signatures/s, the bare database's durable
transactions/s), so the results read as ratios.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			alg, err := auth.ParseSignType(strings.ToUpper(keyAlg))
			if err != nil {
				return usageError("--gateway-key: %w", err)
			}
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return usageError("--cpuprofile: %w", err)
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			return a.bench(cmd.Context(), duration, concurrency, alg)
		},
	}
	cmd.Flags().DurationVar(&duration, "duration", 10*time.Second, "how long to run payments")
	cmd.Flags().IntVar(&concurrency, "concurrency", 16, "concurrent clients")
	cmd.Flags().StringVar(&keyAlg, "gateway-key", "ed25519", "gateway signing key: ed25519 or rsa2")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run (gateway, simulator and clients) to this file")
	return cmd
}

func (a *app) bench(ctx context.Context, duration time.Duration, concurrency int, alg auth.SignType) error {
	if concurrency < 1 || duration <= 0 {
		return usageError("bench needs --concurrency ≥ 1 and a positive --duration")
	}
	tmp, err := os.MkdirTemp("", "paygate-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	a.cfg.DataDir = tmp
	flags := bankFlags{addrs: map[string]*string{}}
	for _, b := range demoBanks {
		addr := "127.0.0.1:0"
		flags.addrs[b.name] = &addr
	}
	sim, banks, err := a.startBankSim(ctx, &flags, banksim.Faults{}, false)
	if err != nil {
		return err
	}
	defer sim.Stop()
	for _, b := range banks {
		*flags.addrs[b.Name] = sim.Addr(b.Name)
	}
	d, err := a.openDB(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	fmt.Fprintf(a.stdout, "paygate bench: %s, %d clients, %s, gateway key %s\n", d, concurrency, duration, alg)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	gwURL := "http://" + ln.Addr().String()
	g, err := a.newGatewayWith(d, &flags, gwURL, alg)
	if err != nil {
		return err
	}
	if err := g.start(ctx, a); err != nil {
		return err
	}
	defer g.stop()
	srv := &http.Server{Handler: g.handler}
	go srv.Serve(ln)
	defer srv.Close()

	// The merchant, its key, and a receiver that verifies notifications.
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	var (
		waitMu  sync.Mutex
		waiting = map[string]chan struct{}{}
		client  *sdk.Client
	)
	recv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev, err := client.VerifyNotification(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if p, err := ev.Payment(); err == nil && p.Status == "succeeded" {
			waitMu.Lock()
			if ch := waiting[p.ID]; ch != nil {
				close(ch)
				delete(waiting, p.ID)
			}
			waitMu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	})}
	rln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go recv.Serve(rln)
	defer recv.Close()
	m, err := g.merchants.Create(ctx, "bench", "http://"+rln.Addr().String()+"/notify", merchant.FeePlan{RateBps: 60, MinMinor: 1})
	if err != nil {
		return err
	}
	pub, _ := auth.MarshalPublicKeyPEM(key.Public())
	if _, err := g.merchants.AddKey(ctx, m.ID, pub); err != nil {
		return err
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: concurrency * 2},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if client, err = sdk.NewClient(gwURL, m.ID, key, sdk.WithHTTPClient(hc)); err != nil {
		return err
	}
	for _, c := range g.connectors {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := c.WaitReady(wctx)
		cancel()
		if err != nil {
			return fmt.Errorf("bank %s not ready: %w", c.Name(), err)
		}
	}

	// One payment, start to finish.
	var seq atomic.Int64
	pay := func(ctx context.Context) (time.Duration, error) {
		start := time.Now()
		p, err := client.CreatePayment(ctx, sdk.CreatePaymentParams{MerchantOrderNo: fmt.Sprintf("bench-%d", seq.Add(1)),
			Amount: 1_00, Currency: "CNY", Subject: "bench"})
		if err != nil {
			return 0, err
		}
		done := make(chan struct{})
		waitMu.Lock()
		waiting[p.ID] = done
		waitMu.Unlock()
		resp, err := hc.PostForm(gwURL+"/pay/"+p.ID+"/card", url.Values{"card_no": {"6222020000000000018"}, "pin": {"123456"}})
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			return 0, fmt.Errorf("cashier answered %d", resp.StatusCode)
		}
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			return 0, fmt.Errorf("no notification for %s", p.ID)
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		return time.Since(start), nil
	}
	if _, err := pay(ctx); err != nil { // warm up: connections, prepared statements
		return fmt.Errorf("first payment: %w", err)
	}

	var (
		mu        sync.Mutex
		latencies []time.Duration
		failures  int
		firstErr  error
		wg        sync.WaitGroup
	)
	rctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	start := time.Now()
	for range concurrency {
		wg.Go(func() {
			for rctx.Err() == nil {
				lat, err := pay(ctx)
				mu.Lock()
				if err != nil {
					failures++
					if firstErr == nil {
						firstErr = err
					}
				} else {
					latencies = append(latencies, lat)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(latencies) == 0 {
		return fmt.Errorf("no payment completed: %v", firstErr)
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration { return latencies[int(p*float64(len(latencies)-1))] }
	rate := float64(len(latencies)) / elapsed.Seconds()

	fmt.Fprintln(a.stdout, "measuring the machine's own limits…")
	signs, verifies := rsaRates()
	dbRate, err := bareDBRate(ctx, d)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\nMEASURE\tVALUE\t\n")
	fmt.Fprintf(tw, "payments completed\t%d\t\n", len(latencies))
	fmt.Fprintf(tw, "failed\t%d\t\n", failures)
	fmt.Fprintf(tw, "payments/s\t%.0f\t\n", rate)
	fmt.Fprintf(tw, "latency p50\t%s\t\n", pct(0.50).Round(100*time.Microsecond))
	fmt.Fprintf(tw, "latency p99\t%s\t\n", pct(0.99).Round(100*time.Microsecond))
	fmt.Fprintf(tw, "RSA-2048 signs/s (1 core)\t%.0f\t\n", signs)
	fmt.Fprintf(tw, "RSA-2048 verifies/s (1 core)\t%.0f\t\n", verifies)
	fmt.Fprintf(tw, "bare %s transactions/s (1 insert + 2 updates, durable)\t%.0f\t\n", d.Engine(), dbRate)
	fmt.Fprintf(tw, "payments per bare transaction\t%.3f\t\n", rate/dbRate)
	tw.Flush()
	if firstErr != nil {
		fmt.Fprintf(a.stdout, "first failure: %v\n", firstErr)
	}
	return nil
}

// rsaRates measures RSA-2048 PKCS#1 v1.5 SHA-256 signatures and
// verifications per second on one core, for a second each.
func rsaRates() (signs, verifies float64) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return 0, 0
	}
	sum := sha256.Sum256([]byte("paygate"))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
	measure := func(f func()) float64 {
		n, start := 0, time.Now()
		for time.Since(start) < time.Second {
			f()
			n++
		}
		return float64(n) / time.Since(start).Seconds()
	}
	signs = measure(func() { rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:]) })
	verifies = measure(func() { rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, sum[:], sig) })
	return signs, verifies
}

// bareDBRate measures durable transactions of one insert and two updates
// on the same database, for two seconds.
func bareDBRate(ctx context.Context, d *db.DB) (float64, error) {
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS bench_acc (id INTEGER PRIMARY KEY, bal BIGINT NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS bench_hist (a INTEGER, b INTEGER, amt BIGINT, at TIMESTAMP)`,
		`INSERT INTO bench_acc (id, bal) VALUES (1, 0), (2, 0) ON CONFLICT (id) DO NOTHING`,
	} {
		if _, err := d.ExecRaw(ctx, q); err != nil {
			return 0, err
		}
	}
	n, start := 0, time.Now()
	for time.Since(start) < 2*time.Second {
		err := d.InTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO bench_hist (a, b, amt, at) VALUES (1, 2, 5, ?)`, tx.Now()); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE bench_acc SET bal = bal - 5 WHERE id = 1`); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE bench_acc SET bal = bal + 5 WHERE id = 2`)
			return err
		})
		if err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
