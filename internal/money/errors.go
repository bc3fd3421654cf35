package money

import (
	"errors"
	"fmt"
)

// Sentinel errors. Functions in this package wrap them with context using
// %w, so test for them with [errors.Is].
var (
	// ErrOverflow means the exact result does not fit in an int64 of minor units.
	ErrOverflow = errors.New("amount out of range")
	// ErrCurrencyMismatch means two amounts of different currencies were combined.
	ErrCurrencyMismatch = errors.New("currency mismatch")
	// ErrSyntax means a string is not a well-formed decimal amount or rate.
	ErrSyntax = errors.New("invalid decimal syntax")
	// ErrPrecision means a string has more fraction digits than allowed:
	// the currency's exponent for [Parse], 12 for [ParseRate].
	ErrPrecision = errors.New("too many fraction digits")
	// ErrInvalidRate means a rate is not positive (for example the zero [Rate]).
	ErrInvalidRate = errors.New("rate must be positive")
	// ErrInvalidAllocation means [Allocate] or [Split] got no parts, a
	// negative weight, or weights that sum to zero.
	ErrInvalidAllocation = errors.New("invalid allocation")
	// ErrDivisionByZero means [MulRat] got a zero denominator.
	ErrDivisionByZero = errors.New("division by zero")
)

// UnknownCurrencyError reports a currency code that is not in the table.
// Test for it with [errors.As].
type UnknownCurrencyError struct {
	// Code is the alphabetic or numeric code as given.
	Code string
}

// Error implements the error interface.
func (e *UnknownCurrencyError) Error() string {
	return fmt.Sprintf("unknown currency %q", e.Code)
}
