package banksim

import (
	"io"
	"log/slog"
	"time"

	"paygate/internal/bank/hsm"
	"paygate/internal/bank/iso8583"
	"paygate/internal/clock"
)

// BankConfig is one simulated bank host.
type BankConfig struct {
	// Name is the bank id ("icbc", "cmb", "intl"); test cards are attached
	// to banks by this name.
	Name string
	// Dialect is the bank's wire format.
	Dialect *iso8583.Dialect
	// Addr is the listen address, e.g. "127.0.0.1:0".
	Addr string
	// ZMK is the zone master key shared with the acquirer; working keys are
	// sent under it.
	ZMK hsm.Key
	// MAC is the MAC algorithm (default hsm.AlgX919).
	MAC hsm.MACAlgorithm
	// FeeBasisPoints is the fee the bank charges on settled amounts, in
	// 1/100 of a percent (default 0), shown in the settlement file.
	FeeBasisPoints int64
	// CutoffHour is the local hour at which the business day closes and its
	// settlement file is written (default 23).
	CutoffHour int
	// Location is the bank's time zone (default UTC+8).
	Location *time.Location
}

// Faults are injected into the simulator's answers; the zero value injects
// nothing. Shares are probabilities from 0 to 1, drawn from a generator
// seeded with Seed.
type Faults struct {
	// Latency is added before every financial or reversal response.
	Latency time.Duration
	// Drop is the share of financial and reversal responses never sent
	// (the request is processed all the same).
	Drop float64
	// Duplicate is the share of responses sent twice.
	Duplicate float64
	// Delay is the share of responses sent DelayBy late.
	Delay   float64
	DelayBy time.Duration
	// Corrupt is the share of responses sent with a trailing garbage byte,
	// which makes them malformed.
	Corrupt float64
	// BadResponseMAC makes every financial and reversal response carry a
	// wrong MAC.
	BadResponseMAC bool
	// MACKeyMismatch makes the bank check request MACs under a key other
	// than the session's ZAK, so every MACed request is answered A0.
	MACKeyMismatch bool
	// PINKeyMismatch makes the bank decrypt PIN blocks under a key other
	// than the session's ZPK, as if the keys had drifted apart.
	PINKeyMismatch bool
	// HoldResponses, when positive, holds every financial response of a
	// connection until that many 0200s have arrived on it, then releases
	// them all: a deterministic way to have that many requests in flight.
	HoldResponses int
	// CutAfter closes a connection after it has carried this many requests
	// (0: never).
	CutAfter int
	// Seed seeds the fault generator.
	Seed uint64
}

// Options are the simulator's dependencies; every field is optional.
type Options struct {
	// Logger receives requests refused and faults injected (default: discard).
	Logger *slog.Logger
	// Clock stamps transactions and decides business dates (default: system).
	Clock clock.Clock
	// Rand is the source of working keys and authorization codes (default
	// crypto/rand).
	Rand io.Reader
	// Faults to inject from the start; see [Host.SetFaults].
	Faults Faults
	// SettlementDir, if set, receives each bank's settlement file at its
	// cut-off ([Host.WriteSettlementFile]).
	SettlementDir string
}

func (b BankConfig) withDefaults() BankConfig {
	if b.MAC == 0 {
		b.MAC = hsm.AlgX919
	}
	if b.CutoffHour <= 0 || b.CutoffHour > 24 {
		b.CutoffHour = 23
	}
	if b.Location == nil {
		b.Location = time.FixedZone("UTC+8", 8*3600)
	}
	return b
}
