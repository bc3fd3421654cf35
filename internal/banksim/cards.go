package banksim

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"

	"paygate/internal/bank/iso8583"
)

// Behaviour is what a test card does besides approving within its balance.
type Behaviour string

// Behaviours of the test cards.
const (
	Approve    Behaviour = "approve"    // approves within balance and limit
	Decline51  Behaviour = "decline_51" // debits decline 51 insufficient funds
	WrongPIN   Behaviour = "wrong_pin"  // debits decline 55 whatever PIN is sent
	NoAnswer   Behaviour = "no_answer"  // processes requests but never answers them (reversals are answered)
	DoNotHonor Behaviour = "decline_05" // debits decline 05 do not honour
)

// Card is a test card of the simulator (DESIGN §5).
type Card struct {
	PAN        string
	Bank       string
	PIN        string // "" for cards without PIN (intl)
	Expiry     string // YYMM, "" when not checked
	Behaviour  Behaviour
	LimitMinor int64    // single-payment limit in minor units, 0 for none
	Currencies []string // ISO 4217 alphabetic codes it holds balances in
	Balance    int64    // opening balance per currency, minor units
}

const million = 1_000_000_00 // 1,000,000.00 in minor units of a 2-decimal currency

// TestCards returns the cards of DESIGN §5, which docs and tests rely on.
func TestCards() []Card {
	cny := []string{"CNY"}
	return []Card{
		{PAN: "6222020000000000018", Bank: "icbc", PIN: "123456", Behaviour: Approve, Currencies: cny, Balance: million},
		{PAN: "6222020000000000026", Bank: "icbc", PIN: "123456", Behaviour: Decline51, Currencies: cny, Balance: million},
		{PAN: "6222020000000000034", Bank: "icbc", PIN: "123456", Behaviour: WrongPIN, Currencies: cny, Balance: million},
		{PAN: "6222020000000000042", Bank: "icbc", PIN: "123456", Behaviour: NoAnswer, Currencies: cny, Balance: million},
		{PAN: "6222020000000000059", Bank: "icbc", PIN: "123456", Behaviour: Approve, LimitMinor: 5_000_00, Currencies: cny, Balance: million},
		{PAN: "6214830000000000015", Bank: "cmb", PIN: "888888", Behaviour: Approve, Currencies: cny, Balance: million},
		{PAN: "6214830000000000023", Bank: "cmb", PIN: "888888", Behaviour: DoNotHonor, Currencies: cny, Balance: million},
		{PAN: "4111111111111111", Bank: "intl", Expiry: "3012", Behaviour: Approve, Currencies: []string{"USD", "EUR", "CNY"}, Balance: million},
		{PAN: "4000000000000002", Bank: "intl", Expiry: "3012", Behaviour: DoNotHonor, Currencies: []string{"USD", "EUR", "CNY"}, Balance: million},
	}
}

// declineCode is the response code a behaviour forces on debits, or "".
func (b Behaviour) declineCode() string {
	switch b {
	case Decline51:
		return iso8583.RespInsufficientFunds
	case WrongPIN:
		return iso8583.RespIncorrectPIN
	case DoNotHonor:
		return iso8583.RespDoNotHonor
	}
	return ""
}

// pinHash is the PIN verification value the simulator stores instead of
// the PIN: SHA-256 over a fixed label, the PAN and the PIN.
func pinHash(pan, pin string) string {
	sum := sha256.Sum256([]byte("paygate-banksim-pvv:" + pan + ":" + pin))
	return hex.EncodeToString(sum[:])
}

// pinMatches compares in constant time.
func pinMatches(stored, pan, pin string) bool {
	return subtle.ConstantTimeCompare([]byte(stored), []byte(pinHash(pan, pin))) == 1
}
