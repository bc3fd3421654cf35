package bank

import (
	"errors"
	"fmt"
	"time"

	"paygate/internal/bank/hsm"
	"paygate/internal/bank/iso8583"
)

// Config describes one bank link. Zero durations and counts take the
// defaults documented on each field.
type Config struct {
	// Name identifies the bank in logs, metrics and the reversal queue ("icbc").
	Name string
	// Dialect is the bank's ISO 8583 wire format (iso8583.Lookup).
	Dialect *iso8583.Dialect
	// Addr is the bank host's TCP address, host:port.
	Addr string
	// AcquirerID is our institution id at the bank (field 32, n..11).
	AcquirerID string
	// ForwarderID is the forwarding institution id written into field 90
	// (n..11); empty means none (zeros).
	ForwarderID string
	// MerchantID is the card acceptor id (field 42, ans15).
	MerchantID string
	// TerminalID is the card acceptor terminal id (field 41, ans8).
	TerminalID string
	// ZMK is the zone master key shared with the bank out of band; the
	// working keys arrive encrypted under it at sign-on. Required.
	ZMK hsm.Key
	// MAC selects the MAC algorithm (default hsm.AlgX919). AES-CMAC needs an
	// AES ZMK; the working keys are then AES and PIN blocks are unavailable
	// (format 4 does not fit field 52), which suits card-not-present links.
	MAC hsm.MACAlgorithm
	// Links is how many TCP links to keep open to the bank (default 1).
	// Requests are spread over the links that are signed on.
	Links int
	// RequestTimeout bounds the wait for a response (default 10s); past it
	// the request is unknown.
	RequestTimeout time.Duration
	// ConnectTimeout bounds dialling and signing on (default 5s).
	ConnectTimeout time.Duration
	// WriteTimeout bounds writing one message to the link (default 5s). A
	// write that stalls longer means the link is dead; it is kept apart
	// from RequestTimeout so that a short wait for answers does not turn a
	// briefly full socket buffer into a broken link.
	WriteTimeout time.Duration
	// EchoInterval is how long a link may stay idle before an echo test
	// (0800 70=301) checks it (default 30s).
	EchoInterval time.Duration
	// ReconnectMin and ReconnectMax bound the exponential backoff between
	// connection attempts (defaults 100ms and 30s).
	ReconnectMin, ReconnectMax time.Duration
	// ReversalRetry is the first delay before a reversal advice is repeated,
	// doubling per attempt up to ReversalRetryMax (defaults 2s and 1m).
	ReversalRetry, ReversalRetryMax time.Duration
	// ReversalGrace is how long, past RequestTimeout, the reversal stored
	// (armed) before a money-moving request is sent waits for its owner
	// before any worker may take it for abandoned and send it (default
	// 2×RequestTimeout + 5s). A live connector always resolves its armed
	// reversal well within RequestTimeout plus the time to write the
	// request; a shorter grace costs needless reversals, never money.
	ReversalGrace time.Duration
	// ReversalBatch is how many reversals the worker claims and sends at
	// once (default 64).
	ReversalBatch int
	// PassiveReversals, when set, keeps this connector from sending queued
	// reversals (read-only tools such as a status probe). Unknown requests
	// are still queued.
	PassiveReversals bool
	// Location is the bank's time zone for fields 12 and 13 (default UTC+8).
	Location *time.Location
}

const (
	defaultRequestTimeout = 10 * time.Second
	defaultConnectTimeout = 5 * time.Second
	defaultEchoInterval   = 30 * time.Second
	defaultReconnectMin   = 100 * time.Millisecond
	defaultReconnectMax   = 30 * time.Second
	defaultReversalRetry  = 2 * time.Second
	defaultReversalMax    = time.Minute
	defaultReversalBatch  = 64
)

// withDefaults returns c with every zero setting replaced by its default.
func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.RequestTimeout, defaultRequestTimeout)
	def(&c.ConnectTimeout, defaultConnectTimeout)
	def(&c.WriteTimeout, 5*time.Second)
	def(&c.EchoInterval, defaultEchoInterval)
	def(&c.ReconnectMin, defaultReconnectMin)
	def(&c.ReconnectMax, defaultReconnectMax)
	def(&c.ReversalRetry, defaultReversalRetry)
	def(&c.ReversalRetryMax, defaultReversalMax)
	def(&c.ReversalGrace, 2*c.RequestTimeout+5*time.Second)
	if c.MAC == 0 {
		c.MAC = hsm.AlgX919
	}
	if c.Links <= 0 {
		c.Links = 1
	}
	if c.ReversalBatch <= 0 {
		c.ReversalBatch = defaultReversalBatch
	}
	if c.Location == nil {
		c.Location = time.FixedZone("UTC+8", 8*3600)
	}
	return c
}

// validate checks what cannot be defaulted. Errors never show key material.
func (c Config) validate() error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("name is empty"))
	}
	if c.Dialect == nil {
		errs = append(errs, errors.New("no dialect"))
	}
	if c.Addr == "" {
		errs = append(errs, errors.New("no address"))
	}
	if !c.ZMK.Valid() {
		errs = append(errs, errors.New("no ZMK"))
	}
	if n := len(c.AcquirerID); n == 0 || n > 11 || !allDigits(c.AcquirerID) {
		errs = append(errs, errors.New("acquirer id must be 1–11 digits"))
	}
	if n := len(c.ForwarderID); n > 11 || !allDigits(c.ForwarderID) {
		errs = append(errs, errors.New("forwarder id must be at most 11 digits"))
	}
	if n := len(c.MerchantID); n == 0 || n > 15 {
		errs = append(errs, errors.New("merchant id must be 1–15 characters"))
	}
	if n := len(c.TerminalID); n == 0 || n > 8 {
		errs = append(errs, errors.New("terminal id must be 1–8 characters"))
	}
	switch k := c.ZMK.Kind(); {
	case c.MAC == hsm.AlgX919 && k != hsm.TDES2 && k != hsm.TDES3 && c.ZMK.Valid():
		errs = append(errs, errors.New("MAC x919 needs a TDES ZMK"))
	case c.MAC == hsm.AlgAESCMAC && k != hsm.AES128 && k != hsm.AES256 && c.ZMK.Valid():
		errs = append(errs, errors.New("MAC aes-cmac needs an AES-128 or AES-256 ZMK"))
	case c.MAC.String() == "invalid":
		errs = append(errs, errors.New("invalid MAC algorithm"))
	}
	if c.ReconnectMax < c.ReconnectMin {
		errs = append(errs, errors.New("reconnect max below min"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("bank %q config: %w", c.Name, err)
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
