package iso8583

import "fmt"

// Data element numbers of PROTOCOLS.md §2.3.
const (
	FieldPAN              = 2   // n..19 LLVAR, primary account number
	FieldProcessingCode   = 3   // n6, see Proc* constants
	FieldAmount           = 4   // n12, minor units of field 49's currency
	FieldTransmissionTime = 7   // n10 MMDDhhmmss, GMT
	FieldSTAN             = 11  // n6, system trace audit number
	FieldLocalTime        = 12  // n6 hhmmss
	FieldLocalDate        = 13  // n4 MMDD
	FieldExpiry           = 14  // n4 YYMM
	FieldSettlementDate   = 15  // n4 MMDD
	FieldMerchantType     = 18  // n4 MCC
	FieldPOSEntryMode     = 22  // n3
	FieldPOSCondition     = 25  // n2
	FieldAcquirerID       = 32  // n..11 LLVAR
	FieldTrack2           = 35  // z..37 LLVAR
	FieldRRN              = 37  // an12, retrieval reference number
	FieldAuthCode         = 38  // an6, authorization id response
	FieldResponseCode     = 39  // an2, see Resp* constants
	FieldTerminalID       = 41  // ans8
	FieldMerchantID       = 42  // ans15
	FieldMerchantName     = 43  // ans40, name and location
	FieldAdditionalData   = 48  // ans..999 LLLVAR, carries keys in 0800/0810 70=101
	FieldCurrency         = 49  // n3 ISO 4217 numeric
	FieldPINBlock         = 52  // b8
	FieldSecurityControl  = 53  // n16
	FieldMAC              = 64  // b8, MAC when only the primary bitmap is present
	FieldNetworkCode      = 70  // n3, see Net* constants
	FieldOriginalData     = 90  // n42, original MTI+STAN+DE7+acquirer+forwarder
	FieldMAC2             = 128 // b8, MAC when a secondary bitmap is present
)

const (
	macLength               = 8
	maxAmount               = 999_999_999_999
	unknownResponseCodeText = "unknown response code"
)

// Message type indicators.
const (
	MTIPurchase               = "0200" // financial request (purchase, void, refund)
	MTIPurchaseResponse       = "0210" // financial response
	MTIAdvice                 = "0220" // financial advice (e.g. offline refund)
	MTIAdviceResponse         = "0230" // financial advice response
	MTIReversalAdvice         = "0420" // timeout reversal
	MTIReversalAdviceRepeat   = "0421" // repeated reversal advice
	MTIReversalAdviceResponse = "0430" // reversal acknowledgement
	MTINetwork                = "0800" // network management request
	MTINetworkResponse        = "0810" // network management response
)

// Processing codes (field 3).
const (
	ProcPurchase = "000000" // goods and services
	ProcRefund   = "200000" // refund / return (also void in UnionPay 0200)
	ProcBalance  = "310000" // balance inquiry
	ProcDeposit  = "210000" // credit / deposit
)

// Network management information codes (field 70).
const (
	NetSignOn    = "001"
	NetSignOff   = "002"
	NetKeyChange = "101"
	NetEcho      = "301"
)

// Response codes (field 39).
const (
	RespApproved           = "00"
	RespDoNotHonor         = "05"
	RespInvalidTransaction = "12"
	RespInvalidAmount      = "13"
	RespInvalidCard        = "14"
	RespRecordNotFound     = "25"
	RespFormatError        = "30"
	RespInsufficientFunds  = "51"
	RespIncorrectPIN       = "55"
	RespExceedsLimit       = "61"
	RespSecurityViolation  = "63"
	RespMACFailure         = "A0" // UnionPay-specific
	RespLateResponse       = "68"
	RespIssuerInoperative  = "91"
	RespDuplicate          = "94"
	RespSystemMalfunction  = "96"
)

var responseTexts = map[string]string{
	RespApproved:           "approved",
	RespDoNotHonor:         "do not honor",
	RespInvalidTransaction: "invalid transaction",
	RespInvalidAmount:      "invalid amount",
	RespInvalidCard:        "invalid card number",
	RespRecordNotFound:     "unable to locate record",
	RespFormatError:        "format error",
	RespInsufficientFunds:  "insufficient funds",
	RespIncorrectPIN:       "incorrect PIN",
	RespExceedsLimit:       "exceeds amount limit",
	RespSecurityViolation:  "security violation",
	RespMACFailure:         "MAC verification failed",
	RespLateResponse:       "response received too late",
	RespIssuerInoperative:  "issuer or switch inoperative",
	RespDuplicate:          "duplicate transmission",
	RespSystemMalfunction:  "system malfunction",
}

// ResponseText returns a short English description of a field 39 code,
// or "unknown response code".
func ResponseText(code string) string {
	if t, ok := responseTexts[code]; ok {
		return t
	}
	return unknownResponseCodeText
}

// ResponseMTI returns the response MTI for a request or advice MTI: third
// digit +1, fourth digit 0 (0200→0210, 0421→0430, 0800→0810). It fails for
// MTIs that are already responses.
func ResponseMTI(mti string) (string, error) {
	if err := checkMTI(mti); err != nil {
		return "", err
	}
	if (mti[2]-'0')%2 != 0 {
		return "", fmt.Errorf("%w: MTI %s is a response", ErrInvalidValue, mti)
	}
	return mti[:2] + string(mti[2]+1) + "0", nil
}

// FormatAmount formats a non-negative amount in minor units as field 4
// (n12, zero-padded): 12345 → "000000012345". The exponent is the one of
// the currency in field 49 ([Dialect.LookupCurrency]).
func FormatAmount(minor int64) (string, error) {
	if minor < 0 || minor > maxAmount {
		return "", fmt.Errorf("%w: field 4: amount out of range 0–%d", ErrInvalidValue, maxAmount)
	}
	return fmt.Sprintf("%012d", minor), nil
}

// ParseAmount parses field 4 (1–12 digits) into minor units.
func ParseAmount(s string) (int64, error) {
	if s == "" || len(s) > 12 || !isDigits(s) {
		return 0, fmt.Errorf("%w: field 4: want 1–12 digits", ErrInvalidValue)
	}
	var v int64
	for i := 0; i < len(s); i++ {
		v = v*10 + int64(s[i]-'0')
	}
	return v, nil
}

// LookupCurrency finds a currency of the dialect by numeric ("840") or
// alphabetic ("USD") code.
func (d *Dialect) LookupCurrency(code string) (Currency, bool) {
	for _, c := range d.Currencies {
		if c.Numeric == code || c.Alpha == code {
			return c, true
		}
	}
	return Currency{}, false
}
