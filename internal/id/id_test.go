package id

import (
	"sort"
	"sync"
	"testing"
	"time"
)

func TestGeneratorMonotonicAndUnique(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	g := NewGenerator(func() time.Time { return at }, nil)
	const n = 4 * 1000
	ids := make([]string, 0, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range n / 4 {
				v := g.New(PrefixPayment)
				mu.Lock()
				ids = append(ids, v)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	seen := make(map[string]bool, n)
	for _, v := range ids {
		if seen[v] {
			t.Fatalf("duplicate id %s", v)
		}
		seen[v] = true
		got, err := Parse(PrefixPayment, v)
		if err != nil || !got.Equal(at) {
			t.Fatalf("Parse(%s) = %v, %v", v, got, err)
		}
	}
	// Sequential IDs from one generator sort in issue order.
	a, b := g.New(PrefixEvent), g.New(PrefixEvent)
	if !sort.StringsAreSorted([]string{a, b}) {
		t.Fatalf("%s then %s not sorted", a, b)
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "pay_", "rf_01JD0000000000000000000000", "pay_notaulid", "pay-01JD0000000000000000000000"} {
		if _, err := Parse(PrefixPayment, s); err == nil {
			t.Errorf("Parse(%q) = nil error", s)
		}
	}
}
