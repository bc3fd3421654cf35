package bank_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"paygate/internal/bank"
	"paygate/internal/banksim"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/money"
)

// TestTwoThousandInFlightOnOneLink signs on over real TCP and sends 2,000
// debits at once on one link; the simulator holds every answer until all
// 2,000 have arrived, so they are necessarily in flight together. Every
// response must match its request and the card balance must be exact.
func TestTwoThousandInFlightOnOneLink(t *testing.T) {
	t.Parallel()
	const n = 2000
	e := newSim(t, banksim.Faults{HoldResponses: n})
	cfg := e.config(t, "icbc")
	cfg.RequestTimeout = 30 * time.Second
	c := start(t, cfg, dbtest.NewSQLite(t), bank.Options{})
	ctx := context.Background()

	results := make([]bank.Result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r, err := c.Debit(ctx, bank.Request{PAN: cardOK, PIN: icbcPIN, Amount: cny(int64(100 + i))})
			if err != nil {
				t.Errorf("debit %d: %v", i, err)
			}
			results[i] = r
		})
	}
	wg.Wait()
	var want int64
	stans, rrns := map[string]bool{}, map[string]bool{}
	for i, r := range results {
		if r.Outcome != bank.Approved || r.AuthCode == "" || r.ResponseCode != "00" {
			t.Fatalf("debit %d: %+v", i, r)
		}
		// The amount echoed in the matched response's request is ours.
		if r.Amount.Minor() != int64(100+i) || stans[r.Reference.STAN] || rrns[r.Reference.RRN] {
			t.Fatalf("debit %d matched wrongly: %+v", i, r)
		}
		stans[r.Reference.STAN], rrns[r.Reference.RRN] = true, true
		want += int64(100 + i)
	}
	if got := e.balance(t, cardOK, "CNY"); got != million-want {
		t.Fatalf("balance %d, want %d", got, million-want)
	}
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Links[0].PeakInFlight != n || !st.Links[0].SignedOn || st.ReversalsPending != 0 {
		t.Fatalf("status %+v: want %d in flight at once, signed on, nothing pending", st.Links[0], n)
	}
}

// TestCards runs the DESIGN §5 test cards through all three dialects.
func TestCards(t *testing.T) {
	t.Parallel()
	e := newSim(t, banksim.Faults{})
	d := dbtest.NewSQLite(t)
	conns := map[string]*bank.Connector{}
	for _, name := range []string{"icbc", "cmb", "intl"} {
		conns[name] = start(t, e.config(t, name), d, bank.Options{})
	}
	usd := func(m int64) money.Amount { return money.New(m, money.USD) }
	tests := []struct {
		name, bank string
		req        bank.Request
		want       bank.Outcome
		code       string
	}{
		{"IcbcApproves", "icbc", bank.Request{PAN: cardOK, PIN: icbcPIN, Amount: cny(1234)}, bank.Approved, "00"},
		{"IcbcInsufficientFunds", "icbc", bank.Request{PAN: cardNoFunds, PIN: icbcPIN, Amount: cny(100)}, bank.Declined, "51"},
		{"IcbcWrongPINCard", "icbc", bank.Request{PAN: cardWrongPIN, PIN: icbcPIN, Amount: cny(100)}, bank.Declined, "55"},
		{"IcbcWrongPIN", "icbc", bank.Request{PAN: cardOK, PIN: "654321", Amount: cny(100)}, bank.Declined, "55"},
		{"IcbcNoPIN", "icbc", bank.Request{PAN: cardOK, Amount: cny(100)}, bank.Declined, "55"},
		{"IcbcOverLimit", "icbc", bank.Request{PAN: cardLimit, PIN: icbcPIN, Amount: cny(5_000_01)}, bank.Declined, "61"},
		{"IcbcAtLimit", "icbc", bank.Request{PAN: cardLimit, PIN: icbcPIN, Amount: cny(5_000_00)}, bank.Approved, "00"},
		{"IcbcUnknownCard", "icbc", bank.Request{PAN: "6222020000000009999", PIN: icbcPIN, Amount: cny(100)}, bank.Declined, "14"},
		{"CmbApproves", "cmb", bank.Request{PAN: cmbOK, PIN: cmbPIN, Amount: cny(88_88)}, bank.Approved, "00"},
		{"CmbDoNotHonour", "cmb", bank.Request{PAN: cmbDecline, PIN: cmbPIN, Amount: cny(100)}, bank.Declined, "05"},
		{"IntlUSD", "intl", bank.Request{PAN: visaOK, Expiry: "3012", Amount: usd(19_99)}, bank.Approved, "00"},
		{"IntlEUR", "intl", bank.Request{PAN: visaOK, Amount: money.New(5_00, money.EUR)}, bank.Approved, "00"},
		{"IntlCNY", "intl", bank.Request{PAN: visaOK, Amount: cny(5_00)}, bank.Approved, "00"},
		{"IntlWrongExpiry", "intl", bank.Request{PAN: visaOK, Expiry: "2501", Amount: usd(100)}, bank.Declined, "54"},
		{"IntlGBPNotHeld", "intl", bank.Request{PAN: visaOK, Amount: money.New(100, money.GBP)}, bank.Declined, "57"},
		{"IntlDeclines", "intl", bank.Request{PAN: visaDecline, Amount: usd(100)}, bank.Declined, "05"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := conns[tt.bank].Debit(context.Background(), tt.req)
			if err != nil || r.Outcome != tt.want || r.ResponseCode != tt.code {
				t.Fatalf("Debit = %+v, %v; want %s %s", r, err, tt.want, tt.code)
			}
			if (r.Outcome == bank.Approved && r.SettlementDate == "") || len(r.Reference.RRN) != 12 {
				t.Fatalf("missing settlement date or RRN: %+v", r)
			}
		})
	}
}

// TestRefundCreditBalance covers the other operations and their balances.
func TestRefundCreditBalance(t *testing.T) {
	t.Parallel()
	e := newSim(t, banksim.Faults{})
	c := start(t, e.config(t, "cmb"), dbtest.NewSQLite(t), bank.Options{})
	ctx := context.Background()
	card := bank.Request{PAN: cmbOK, PIN: cmbPIN, Amount: cny(100_00)}
	debit, err := c.Debit(ctx, card)
	if err != nil || debit.Outcome != bank.Approved {
		t.Fatalf("debit %+v %v", debit, err)
	}
	steps := []struct {
		name string
		do   func() (bank.Result, error)
		code string
		bal  int64
	}{
		{"PartialRefund", func() (bank.Result, error) {
			return c.Refund(ctx, bank.Request{PAN: cmbOK, Amount: cny(40_00)}, debit.Reference)
		}, "00", million - 60_00},
		{"RefundBeyondOriginal", func() (bank.Result, error) {
			return c.Refund(ctx, bank.Request{PAN: cmbOK, Amount: cny(60_01)}, debit.Reference)
		}, "13", million - 60_00},
		{"RefundOfUnknownOriginal", func() (bank.Result, error) {
			return c.Refund(ctx, bank.Request{PAN: cmbOK, Amount: cny(1)}, bank.Reference{STAN: "999998", TransmissionTime: "0101000000"})
		}, "25", million - 60_00},
		{"Credit", func() (bank.Result, error) {
			return c.Credit(ctx, bank.Request{PAN: cmbOK, Amount: cny(10_00)})
		}, "00", million - 50_00},
	}
	for _, s := range steps {
		r, err := s.do()
		if err != nil || r.ResponseCode != s.code {
			t.Fatalf("%s: %+v, %v; want %s", s.name, r, err, s.code)
		}
		if got := e.balance(t, cmbOK, "CNY"); got != s.bal {
			t.Fatalf("%s: balance %d, want %d", s.name, got, s.bal)
		}
	}
	bal, err := c.Balance(ctx, bank.Request{PAN: cmbOK, PIN: cmbPIN, Amount: cny(0)})
	if err != nil || bal.Outcome != bank.Approved || bal.Amount.Minor() != million-50_00 {
		t.Fatalf("balance enquiry %+v, %v", bal, err)
	}
}

// TestSilentCardIsReversed: card …042 never answers. The debit is unknown,
// its reversal is sent until acknowledged, it ends reversed, and the
// bank's balance for the card is unchanged — on both engines.
func TestSilentCardIsReversed(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		e := newSim(t, banksim.Faults{})
		cfg := e.config(t, "icbc")
		cfg.RequestTimeout = 200 * time.Millisecond
		opts, reversed := reversedChan()
		c := start(t, cfg, d, opts)
		ctx := context.Background()
		r, err := c.Debit(ctx, bank.Request{PAN: cardSilent, PIN: icbcPIN, Amount: cny(321_00)})
		if err != nil || r.Outcome != bank.Unknown || r.ResponseCode != bank.ReasonTimeout || r.ReversalID == "" {
			t.Fatalf("Debit = %+v, %v; want unknown with a reversal", r, err)
		}
		select {
		case rev := <-reversed:
			if rev.ID != r.ReversalID || rev.State != bank.ReversalReversed || rev.Original != r.Reference {
				t.Fatalf("reversed %+v, want %s", rev, r.ReversalID)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("reversal never acknowledged")
		}
		rev, err := c.Reversal(ctx, r.Reference)
		if err != nil || rev.State != bank.ReversalReversed || rev.Attempts < 1 || rev.ResponseCode != "00" {
			t.Fatalf("Reversal = %+v, %v", rev, err)
		}
		if got := e.balance(t, cardSilent, "CNY"); got != million {
			t.Fatalf("balance of the silent card %d, want %d", got, million)
		}
	})
}

// TestDroppedResponses: the bank drops 10 % of its answers (0210 and 0430
// alike) over 5,000 debits. Afterwards every reversal is acknowledged, the
// bank's balance equals the opening balance less exactly the debits the
// client reported approved, and no debit is both approved and reversed.
func TestDroppedResponses(t *testing.T) {
	t.Parallel()
	const n, workers = 5000, 250
	e := newSim(t, banksim.Faults{Drop: 0.10, Duplicate: 0.02, Seed: 42})
	cfg := e.config(t, "icbc")
	cfg.RequestTimeout = 250 * time.Millisecond
	d := dbtest.NewSQLite(t)
	c := start(t, cfg, d, bank.Options{})
	ctx := context.Background()

	results := make([]bank.Result, n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				r, err := c.Debit(ctx, bank.Request{PAN: cardOK, PIN: icbcPIN, Amount: cny(int64(1 + i%997))})
				if err != nil {
					t.Errorf("debit %d: %v", i, err)
				}
				results[i] = r
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	waitFor(t, "every reversal acknowledged", 60*time.Second, func() bool {
		st, err := c.Status(ctx)
		return err == nil && st.ReversalsPending == 0
	})
	var approved int64
	unknown := 0
	for i, r := range results {
		rev, err := c.Reversal(ctx, r.Reference)
		switch r.Outcome {
		case bank.Approved:
			approved += r.Amount.Minor()
			if !errors.Is(err, bank.ErrReversalNotFound) {
				t.Fatalf("debit %d approved and reversed: %+v %v", i, rev, err)
			}
		case bank.Unknown:
			unknown++
			if err != nil || rev.State != bank.ReversalReversed {
				t.Fatalf("unknown debit %d not reversed: %+v %v", i, rev, err)
			}
		default:
			t.Fatalf("debit %d: %+v", i, r)
		}
	}
	// About n/10 answers are dropped; a slow machine (-race) adds timeouts.
	if unknown < n/20 {
		t.Fatalf("%d unknown debits; a 10%% drop should give at least about %d", unknown, n/10)
	}
	if got := e.balance(t, cardOK, "CNY"); got != million-approved {
		t.Fatalf("bank balance %d, want %d (opening less the %d approved)", got, million-approved, n-unknown)
	}
	t.Logf("%d approved, %d unknown and reversed", n-unknown, unknown)
}

// TestLateApprovalIsNeverPaid: the bank answers after the timeout. The
// debit is unknown, the late 0210 approval reaches only the unmatched path,
// and the reversal restores the balance.
func TestLateApprovalIsNeverPaid(t *testing.T) {
	t.Parallel()
	e := newSim(t, banksim.Faults{Delay: 1, DelayBy: 300 * time.Millisecond})
	cfg := e.config(t, "icbc")
	cfg.RequestTimeout = 100 * time.Millisecond
	opts, reversed := reversedChan()
	c := start(t, cfg, dbtest.NewSQLite(t), opts)
	ctx := context.Background()
	r, err := c.Debit(ctx, bank.Request{PAN: cardOK, PIN: icbcPIN, Amount: cny(50_00)})
	if err != nil || r.Outcome != bank.Unknown {
		t.Fatalf("Debit = %+v, %v", r, err)
	}
	waitFor(t, "the late approval", 5*time.Second, func() bool {
		st, _ := c.Status(ctx)
		return st.LateApprovals == 1
	})
	e.host.SetFaults(banksim.Faults{})
	select {
	case rev := <-reversed:
		if rev.ID != r.ReversalID {
			t.Fatalf("reversed %s, want %s", rev.ID, r.ReversalID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reversal never acknowledged")
	}
	if got := e.balance(t, cardOK, "CNY"); got != million {
		t.Fatalf("balance %d after a reversed late approval, want %d", got, million)
	}
}

// TestRestartSendsPendingReversals: a gateway instance goes away while its
// reversals are unacknowledged; a new instance over the same database
// sends and completes them.
func TestRestartSendsPendingReversals(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		e := newSim(t, banksim.Faults{Drop: 1}) // the bank processes but never answers
		cfg := e.config(t, "icbc")
		cfg.RequestTimeout = 100 * time.Millisecond
		ctx := context.Background()
		first, err := bank.New(cfg, d, bank.Options{STANStart: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := first.Start(ctx); err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := first.WaitReady(wctx); err != nil {
			t.Fatal(err)
		}
		var refs []bank.Reference
		for _, pan := range []string{cardOK, cardSilent, cardOK} {
			r, err := first.Debit(ctx, bank.Request{PAN: pan, PIN: icbcPIN, Amount: cny(77_00)})
			if err != nil || r.Outcome != bank.Unknown {
				t.Fatalf("Debit = %+v, %v", r, err)
			}
			refs = append(refs, r.Reference)
		}
		waitFor(t, "a first, unanswered advice for each", 10*time.Second, func() bool {
			for _, ref := range refs {
				if rev, err := first.Reversal(ctx, ref); err != nil || rev.Attempts < 1 {
					return false
				}
			}
			return true
		})
		first.Stop()
		first.Stop() // idempotent
		if _, err := first.Debit(ctx, bank.Request{PAN: cardOK, PIN: icbcPIN, Amount: cny(1)}); !errors.Is(err, bank.ErrStopped) {
			t.Fatalf("Debit after Stop = %v", err)
		}
		// The bank did process the advices; only its answers were lost. The
		// repeats after the restart must not reverse a second time.
		// (The advices were sent; on a loaded machine the bank may still be
		// applying the last one.)
		waitFor(t, "the bank to apply the advices", 10*time.Second, func() bool {
			return e.balance(t, cardOK, "CNY") == million
		})

		e.host.SetFaults(banksim.Faults{})
		opts, reversed := reversedChan()
		opts.STANStart = 500_000
		second := start(t, cfg, d, opts)
		for range refs {
			select {
			case <-reversed:
			case <-time.After(10 * time.Second):
				t.Fatal("reversals not completed after the restart")
			}
		}
		for _, ref := range refs {
			rev, err := second.Reversal(ctx, ref)
			if err != nil || rev.State != bank.ReversalReversed || rev.Attempts < 2 {
				t.Fatalf("after restart: %+v, %v; want reversed by a repeat (0421)", rev, err)
			}
		}
		for _, pan := range []string{cardOK, cardSilent} {
			if got := e.balance(t, pan, "CNY"); got != million {
				t.Fatalf("balance of %s… %d, want %d", pan[:6], got, million)
			}
		}
	})
}

// TestReconnectAfterCut: the bank cuts the link; the connector dials again,
// signs on with fresh keys and carries on.
func TestReconnectAfterCut(t *testing.T) {
	t.Parallel()
	e := newSim(t, banksim.Faults{})
	c := start(t, e.config(t, "cmb"), dbtest.NewSQLite(t), bank.Options{})
	ctx := context.Background()
	st, _ := c.Status(ctx)
	kcv := st.Links[0].ZAKCheckValue
	e.host.CutLinks()
	waitFor(t, "a second sign-on", 5*time.Second, func() bool {
		st, _ := c.Status(ctx)
		return st.Links[0].Connects == 2 && st.Links[0].SignedOn
	})
	st, _ = c.Status(ctx)
	if st.Links[0].ZAKCheckValue == kcv {
		t.Fatal("the new session kept the old ZAK")
	}
	r, err := c.Debit(ctx, bank.Request{PAN: cmbOK, PIN: cmbPIN, Amount: cny(1_00)})
	if err != nil || r.Outcome != bank.Approved {
		t.Fatalf("Debit after reconnect = %+v, %v", r, err)
	}
}

// TestNoLink: with nothing listening, a request is not sent at all.
func TestNoLink(t *testing.T) {
	t.Parallel()
	e := newSim(t, banksim.Faults{})
	cfg := e.config(t, "icbc")
	cfg.Addr = "127.0.0.1:1"
	cfg.RequestTimeout = 50 * time.Millisecond
	c, err := bank.New(cfg, dbtest.NewSQLite(t), bank.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	_, err = c.Debit(context.Background(), bank.Request{PAN: cardOK, PIN: icbcPIN, Amount: cny(1)})
	if !errors.Is(err, bank.ErrNotSent) {
		t.Fatalf("Debit without a link = %v, want ErrNotSent", err)
	}
	// The link may still be dialling or already backing off after a
	// refused dial; either way it is not signed on.
	st, _ := c.Status(context.Background())
	if l := st.Links[0]; l.SignedOn || l.State == bank.StateUp || (l.State != bank.StateConnecting && l.LastError == "") {
		t.Fatalf("status %+v", l)
	}
}
