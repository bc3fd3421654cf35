package bank

import "errors"

// Crash stands for the gateway process dying at once: the connector stops
// its goroutines and drops its links without a word to the bank, and a
// request in flight returns without touching the database — no reversal
// is queued, deleted or sent by this connector any more. Only tests use it.
func (c *Connector) Crash() {
	c.halted.Store(true)
	c.mu.Lock()
	cancel := c.cancel
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	for _, l := range c.links {
		if s := l.cur.Load(); s != nil {
			s.close(errors.New("process crashed (test)"))
		}
	}
}
