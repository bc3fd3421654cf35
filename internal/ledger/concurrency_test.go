package ledger_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/id"
	"paygate/internal/ledger"
)

const (
	numAccounts    = 100
	initialBalance = 500_000 // 5,000.00 CNY in each account
	workers        = 8
	perWorker      = 2_000
)

// transfer is one transfer a worker saw succeed.
type transfer struct {
	From, To int
	Amount   int64
}

func accountName(i int) string { return fmt.Sprintf("user:%03d", i) }

// allowsNegative: every third account may go below zero; the rest may not.
func allowsNegative(i int) bool { return i%3 == 0 }

// setupTransferAccounts opens the accounts and funds each from "world".
func setupTransferAccounts(t *testing.T, l *ledger.Ledger) {
	t.Helper()
	specs := []ledger.AccountSpec{{Name: "world", Currency: "CNY", AllowNegative: true}}
	var funding []ledger.Entry
	for i := range numAccounts {
		specs = append(specs, ledger.AccountSpec{Name: accountName(i), Currency: "CNY", AllowNegative: allowsNegative(i)})
		funding = append(funding, ledger.Entry{Key: "fund:" + accountName(i), Postings: ledger.Transfer("world", accountName(i), cny(initialBalance))})
	}
	if err := l.OpenAccounts(context.Background(), specs...); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, l, funding...)
}

// runTransfers posts n random transfers per goroutine, each in its own
// transaction, and returns those that succeeded. Refusals for insufficient
// funds are expected; any other error fails.
func runTransfers(ctx context.Context, l *ledger.Ledger, goroutines, n int, seed uint64, keyPrefix string) ([]transfer, int, error) {
	var (
		mu       sync.Mutex
		done     []transfer
		refused  int
		firstErr error
		wg       sync.WaitGroup
	)
	for w := range goroutines {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for i := range n {
				from := rng.IntN(numAccounts)
				to := (from + 1 + rng.IntN(numAccounts-1)) % numAccounts
				amt := 1 + rng.Int64N(300_000)
				e := ledger.Entry{
					Key:      fmt.Sprintf("%s:%d:%d", keyPrefix, w, i),
					Postings: ledger.Transfer(accountName(from), accountName(to), cny(amt)),
				}
				_, err := l.Commit(ctx, e)
				mu.Lock()
				switch {
				case err == nil:
					done = append(done, transfer{from, to, amt})
				case errors.Is(err, ledger.ErrInsufficientFunds):
					refused++
				case firstErr == nil:
					firstErr = err
				}
				mu.Unlock()
				if firstErr != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return done, refused, firstErr
}

// verifyReplay checks every balance against the replayed transfers, that no
// account that forbids it is negative, and that Check is clean.
func verifyReplay(t *testing.T, l *ledger.Ledger, done []transfer) {
	t.Helper()
	want := make([]int64, numAccounts)
	for i := range want {
		want[i] = initialBalance
	}
	for _, tr := range done {
		want[tr.From] -= tr.Amount
		want[tr.To] += tr.Amount
	}
	var negatives int
	for i := range numAccounts {
		got := balance(t, l, accountName(i))
		if got != want[i] {
			t.Errorf("%s = %d, replay says %d", accountName(i), got, want[i])
		}
		if got < 0 {
			if !allowsNegative(i) {
				t.Errorf("%s = %d but may not go negative", accountName(i), got)
			}
			negatives++
		}
	}
	if worldWant := -int64(numAccounts * initialBalance); balance(t, l, "world") != worldWant {
		t.Errorf("world = %d, want %d", balance(t, l, "world"), worldWant)
	}
	r, err := l.Check(context.Background())
	if err != nil || !r.OK() {
		t.Fatalf("Check = %v, %v", r.Problems, err)
	}
	t.Logf("%d transfers posted, %d accounts below zero, check clean: %d entries, %d postings",
		len(done), negatives, r.Entries, r.Postings)
}

// TestConcurrentTransfers: 8 goroutines × 2,000 random transfers among 100
// accounts end with every balance equal to the replayed expectation.
func TestConcurrentTransfers(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		l := newTestLedger(t, d)
		setupTransferAccounts(t, l)
		done, refused, err := runTransfers(context.Background(), l, workers, perWorker, 1, "tr")
		if err != nil {
			t.Fatal(err)
		}
		if len(done)+refused != workers*perWorker || refused == 0 {
			t.Fatalf("%d succeeded + %d refused, want %d in all with some refused", len(done), refused, workers*perWorker)
		}
		verifyReplay(t, l, done)
	})
}

const workerEnv = "PAYGATE_LEDGER_WORKER_DSN"

// TestTransfersFromTwoProcesses runs the same workload from two OS processes
// against one PostgreSQL database.
func TestTransfersFromTwoProcesses(t *testing.T) {
	t.Parallel()
	dsn := dbtest.PostgresDSN(t)
	d, err := db.Open(context.Background(), dsn, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	l := newTestLedger(t, d)
	setupTransferAccounts(t, l)

	dir := t.TempDir()
	var cmds []*exec.Cmd
	for p := range 2 {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), workerEnv+"="+dsn,
			"PAYGATE_LEDGER_WORKER_OUT="+filepath.Join(dir, fmt.Sprintf("p%d.jsonl", p)),
			"PAYGATE_LEDGER_WORKER_SEED="+strconv.Itoa(100+p))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("worker process: %v", err)
		}
	}
	var done []transfer
	for p := range 2 {
		f, err := os.Open(filepath.Join(dir, fmt.Sprintf("p%d.jsonl", p)))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var tr transfer
			if err := json.Unmarshal(sc.Bytes(), &tr); err != nil {
				t.Fatal(err)
			}
			done = append(done, tr)
		}
		f.Close()
	}
	if len(done) == 0 {
		t.Fatal("the workers reported no transfers")
	}
	verifyReplay(t, l, done)
}

// runWorkerProcess is the body of each process started by
// TestTransfersFromTwoProcesses: TestMain calls it instead of the tests when
// the worker environment variable is set.
func runWorkerProcess(dsn string) error {
	seed, _ := strconv.ParseUint(os.Getenv("PAYGATE_LEDGER_WORKER_SEED"), 10, 64)
	d, err := db.Open(context.Background(), dsn, db.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	l := ledger.New(d, id.NewGenerator(nil, nil))
	done, _, err := runTransfers(context.Background(), l, workers/2, perWorker, seed, fmt.Sprintf("proc%d", seed))
	if err != nil {
		return err
	}
	f, err := os.Create(os.Getenv("PAYGATE_LEDGER_WORKER_OUT"))
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, tr := range done {
		if err := enc.Encode(tr); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// TestConcurrentBatches posts many-entry batches from several goroutines.
// Without Lock, two batches touching the same accounts in different orders
// would deadlock on PostgreSQL.
func TestConcurrentBatches(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		l := newTestLedger(t, d)
		setupTransferAccounts(t, l)
		var (
			mu   sync.Mutex
			done []transfer
			wg   sync.WaitGroup
		)
		start := time.Now()
		for w := range 4 {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(7, uint64(w)))
				for b := range 15 {
					var (
						batch []ledger.Entry
						trs   []transfer
					)
					for i := range 40 {
						from := rng.IntN(numAccounts)
						to := (from + 1 + rng.IntN(numAccounts-1)) % numAccounts
						amt := 1 + rng.Int64N(1_000)
						batch = append(batch, ledger.Entry{Key: fmt.Sprintf("batch:%d:%d:%d", w, b, i),
							Postings: ledger.Transfer(accountName(from), accountName(to), cny(amt))})
						trs = append(trs, transfer{from, to, amt})
					}
					if _, err := l.Commit(context.Background(), batch...); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					done = append(done, trs...)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if elapsed := time.Since(start); elapsed > 20*time.Second {
			t.Errorf("batches took %v: are they deadlocking and retrying?", elapsed)
		}
		verifyReplay(t, l, done)
	})
}
