package ledger_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/id"
	"paygate/internal/ledger"
)

// The ledger benchmark posts transfers durably and compares the rate with the
// bare engine's, measured in the same run:
//
//   - SQLite baseline: one INSERT and two UPDATEs per commit, synchronous=FULL,
//     through the same driver and connection discipline.
//   - PostgreSQL baseline: pgbench's TPC-B script with 8 clients, on the same
//     throwaway server (fsync on).
//
// Run: go test -run '^$' -bench BenchmarkLedger -benchtime 3s ./internal/ledger/
// Each sub-benchmark reports entries/s and x_baseline (entries/s ÷ the
// baseline's commits/s). single_* posts one entry per transaction from one or
// eight goroutines (on SQLite, concurrent transactions share commits);
// batchN posts N entries per transaction. Transfers are between random
// accounts among 100.

const (
	benchAccounts    = 100
	benchClientsPG   = 8
	baselineDuration = 3 * time.Second
)

type benchEnv struct {
	name     string
	d        *db.DB
	l        *ledger.Ledger
	baseline float64 // commits per second of the bare engine
}

var (
	benchOnce sync.Once
	benchEnvs []*benchEnv
	benchErr  error
	benchSeq  atomic.Int64
)

func BenchmarkLedger(b *testing.B) {
	benchOnce.Do(func() { benchEnvs, benchErr = setupBench(b) })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	for _, env := range benchEnvs {
		b.Run(env.name+"/baseline", func(b *testing.B) {
			for range b.N {
			}
			b.ReportMetric(env.baseline, "commits/s")
		})
		b.Run(env.name+"/single_1client", func(b *testing.B) { benchPost(b, env, 1, 1) })
		b.Run(env.name+"/single_8clients", func(b *testing.B) { benchPost(b, env, 8, 1) })
		for _, size := range []int{100, 1000} {
			b.Run(env.name+fmt.Sprintf("/batch%d_1client", size), func(b *testing.B) { benchPost(b, env, 1, size) })
		}
	}
}

func setupBench(b *testing.B) ([]*benchEnv, error) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "bench.db")
	sqlite, err := db.Open(ctx, "sqlite:"+path, db.Options{Synchronous: "FULL"})
	if err != nil {
		return nil, err
	}
	envs := []*benchEnv{{name: "sqlite", d: sqlite}}
	base, err := sqliteBaseline(ctx, filepath.Join(b.TempDir(), "baseline.db"))
	if err != nil {
		return nil, err
	}
	envs[0].baseline = base

	srv, err := dbtest.StartServer(dbtest.ServerOptions{Durable: true})
	if err != nil {
		if dbtest.Required("postgres") {
			return nil, err
		}
		b.Logf("SKIPPED postgres benchmarks: %v", err)
	} else {
		b.Cleanup(func() { srv.Stop() })
		dsn, err := srv.CreateDatabase("bench")
		if err != nil {
			return nil, err
		}
		pg, err := db.Open(ctx, dsn, db.Options{MaxConns: benchClientsPG})
		if err != nil {
			return nil, err
		}
		base, err := pgbenchBaseline(srv)
		if err != nil {
			return nil, err
		}
		envs = append(envs, &benchEnv{name: "postgres", d: pg, baseline: base})
	}
	for _, env := range envs {
		env.l = ledger.New(env.d, id.NewGenerator(nil, nil))
		specs := []ledger.AccountSpec{{Name: "world", Currency: "CNY", AllowNegative: true}}
		var funding []ledger.Entry
		for i := range benchAccounts {
			specs = append(specs, ledger.AccountSpec{Name: accountName(i), Currency: "CNY"})
			funding = append(funding, ledger.Entry{Key: "fund:" + accountName(i), Postings: ledger.Transfer("world", accountName(i), cny(1e12))})
		}
		if err := env.l.OpenAccounts(ctx, specs...); err != nil {
			return nil, err
		}
		if _, err := env.l.Commit(ctx, funding...); err != nil {
			return nil, err
		}
		b.Logf("%s baseline: %.0f commits/s", env.name, env.baseline)
	}
	return envs, nil
}

// benchPost posts b.N batches of size entries from clients goroutines, each
// batch in a transaction of its own.
func benchPost(b *testing.B, env *benchEnv, clients, size int) {
	ctx := context.Background()
	var next atomic.Int64
	start := time.Now()
	b.ResetTimer()
	var wg sync.WaitGroup
	var failed atomic.Value
	for c := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), uint64(benchSeq.Add(1))))
			entries := make([]ledger.Entry, size)
			for next.Add(1) <= int64(b.N) {
				for i := range entries {
					from := rng.IntN(benchAccounts)
					to := (from + 1 + rng.IntN(benchAccounts-1)) % benchAccounts
					entries[i] = ledger.Entry{
						Key:      fmt.Sprintf("bench:%d:%d", benchSeq.Add(1), i),
						Postings: ledger.Transfer(accountName(from), accountName(to), cny(1+rng.Int64N(10_000))),
					}
				}
				if _, err := env.l.Commit(ctx, entries...); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	perSec := float64(b.N*size) / time.Since(start).Seconds()
	b.ReportMetric(perSec, "entries/s")
	b.ReportMetric(perSec/env.baseline, "x_baseline")
}

// sqliteBaseline measures bare durable commits of one INSERT and two UPDATEs.
func sqliteBaseline(ctx context.Context, path string) (float64, error) {
	d, err := db.Open(ctx, "sqlite:"+path, db.Options{Synchronous: "FULL", NoMigrate: true})
	if err != nil {
		return 0, err
	}
	defer d.Close()
	for _, q := range []string{
		`CREATE TABLE acc (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL)`,
		`CREATE TABLE hist (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, amt INTEGER, at TIMESTAMP)`,
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 100) INSERT INTO acc SELECT i, 0 FROM n`,
	} {
		if _, err := d.ExecRaw(ctx, q); err != nil {
			return 0, err
		}
	}
	var n int
	start := time.Now()
	for time.Since(start) < baselineDuration {
		a, c := 1+n%100, 1+(n*7+3)%100
		err := d.InTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO hist (a, b, amt, at) VALUES (?, ?, ?, ?)`, a, c, 5, tx.Now()); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE acc SET bal = bal - ? WHERE id = ?`, 5, a); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE acc SET bal = bal + ? WHERE id = ?`, 5, c)
			return err
		})
		if err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

var tpsRE = regexp.MustCompile(`tps = ([0-9.]+)`)

// pgbenchBaseline runs pgbench's TPC-B script with 8 clients for a few
// seconds on a database of its own on srv.
func pgbenchBaseline(srv *dbtest.Server) (float64, error) {
	dsn, err := srv.CreateDatabase("pgbench")
	if err != nil {
		return 0, err
	}
	run := func(args ...string) (string, error) {
		cmd := exec.Command(srv.Bin("pgbench"), append(args, dsn)...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	if out, err := run("-i", "-q", "-s", "8"); err != nil {
		return 0, fmt.Errorf("pgbench -i: %w\n%s", err, out)
	}
	out, err := run("-c", strconv.Itoa(benchClientsPG), "-j", "2", "-T", strconv.Itoa(int(baselineDuration.Seconds())), "-n")
	if err != nil {
		return 0, fmt.Errorf("pgbench: %w\n%s", err, out)
	}
	sc := bufio.NewScanner(bytes.NewReader([]byte(out)))
	for sc.Scan() {
		if m := tpsRE.FindStringSubmatch(sc.Text()); m != nil {
			return strconv.ParseFloat(m[1], 64)
		}
	}
	return 0, fmt.Errorf("pgbench printed no tps:\n%s", out)
}
