// Package id makes paygate's identifiers: a short type prefix and a ULID body
// ("pay_01JD…"), so that IDs sort by creation time, are unique across
// instances, and say what they name.
package id

import (
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// Prefixes of the IDs paygate issues. New ones are appended.
const (
	PrefixEntry    = "ent"  // ledger entry
	PrefixPayment  = "pay"  // payment
	PrefixRefund   = "rf"   // refund
	PrefixMerchant = "mch"  // merchant
	PrefixAccount  = "acct" // wallet account
	PrefixEvent    = "evt"  // notification event
	PrefixAttempt  = "att"  // payment attempt
)

// Generator issues IDs from a clock and a source of randomness. Within one
// millisecond its IDs increase monotonically. It is safe for concurrent use.
type Generator struct {
	mu      sync.Mutex
	now     func() time.Time
	entropy *ulid.MonotonicEntropy
}

// NewGenerator returns a Generator; nil now means time.Now and nil random
// means crypto/rand.
func NewGenerator(now func() time.Time, random io.Reader) *Generator {
	if now == nil {
		now = time.Now
	}
	if random == nil {
		random = rand.Reader
	}
	return &Generator{now: now, entropy: ulid.Monotonic(random, 0)}
}

// New returns a fresh ID with the given prefix, e.g. New("pay") = "pay_01JD…".
func (g *Generator) New(prefix string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	u := ulid.MustNew(ulid.Timestamp(g.now()), g.entropy)
	return prefix + "_" + u.String()
}

// Parse checks that s is an ID with the given prefix and returns the time
// encoded in it.
func Parse(prefix, s string) (time.Time, error) {
	body, ok := strings.CutPrefix(s, prefix+"_")
	if !ok {
		return time.Time{}, fmt.Errorf("id %q: want prefix %q", s, prefix)
	}
	u, err := ulid.ParseStrict(body)
	if err != nil {
		return time.Time{}, fmt.Errorf("id %q: %w", s, err)
	}
	return ulid.Time(u.Time()).UTC(), nil
}
