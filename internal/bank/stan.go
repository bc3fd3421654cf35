package bank

import (
	"fmt"
	"sync/atomic"
)

// maxSTAN is the largest system trace audit number; after it comes 000001.
const maxSTAN = 999_999

// stanCounter issues STANs 000001–999999 in order, wrapping. It is safe
// for concurrent use.
type stanCounter struct{ n atomic.Uint64 }

// newSTANCounter starts so that the first STAN is start (1–999999; other
// values start at 1).
func newSTANCounter(start int) *stanCounter {
	c := &stanCounter{}
	if start < 1 || start > maxSTAN {
		start = 1
	}
	c.n.Store(uint64(start - 1))
	return c
}

// next returns the next STAN as 6 digits.
func (c *stanCounter) next() string {
	v := c.n.Add(1)
	return fmt.Sprintf("%06d", (v-1)%maxSTAN+1)
}
