package jobs

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// queue is an in-memory work source: items are claimed once.
type queue struct {
	mu    sync.Mutex
	items []int
}

func (q *queue) claim(_ context.Context, _ string, n int) ([]int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n = min(n, len(q.items))
	out := append([]int(nil), q.items[:n]...)
	q.items = q.items[n:]
	return out, nil
}

func (q *queue) push(v ...int) {
	q.mu.Lock()
	q.items = append(q.items, v...)
	q.mu.Unlock()
}

func TestDrainNowWorksEverythingWithinTheBound(t *testing.T) {
	t.Parallel()
	q := &queue{}
	for i := range 100 {
		q.push(i)
	}
	var inFlight, peak, done atomic.Int64
	p := New(Config[int]{Claim: q.claim, MaxInFlight: 3, Work: func(context.Context, int) {
		n := inFlight.Add(1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		time.Sleep(time.Millisecond)
		inFlight.Add(-1)
		done.Add(1)
	}})
	n, err := p.DrainNow(context.Background())
	if err != nil || n != 100 || done.Load() != 100 {
		t.Fatalf("drained %d (%v), worked %d", n, err, done.Load())
	}
	if peak.Load() > 3 {
		t.Fatalf("%d in flight, bound 3", peak.Load())
	}
}

func TestWakeAndStop(t *testing.T) {
	t.Parallel()
	q := &queue{}
	worked := make(chan int, 10)
	p := New(Config[int]{Claim: q.claim, PollInterval: time.Hour, Work: func(_ context.Context, v int) { worked <- v }})
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != ErrStarted {
		t.Fatalf("second Start = %v", err)
	}
	q.push(7)
	p.Wake()
	select {
	case v := <-worked:
		if v != 7 {
			t.Fatalf("worked %d", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wake did not drain")
	}
	p.Stop()
	p.Stop()
	if err := p.Start(context.Background()); err != ErrStarted {
		t.Fatalf("Start after Stop = %v", err)
	}
}
