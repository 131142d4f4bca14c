package money

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// currencyTable lists the active ISO 4217 currency codes with their number
// of minor-unit digits (the exponent), as 4-byte entries "AAAn" sorted by
// code. It is a constant so that it cannot be mutated.
//
// Precious metals, bond-market units, SDR and test codes (XAU, XAG, XPT,
// XPD, XBA–XBD, XDR, XSU, XUA, XTS, XXX) have no minor unit and are left out
// on purpose; the only X-codes kept are real currencies: XAF, XCD, XCG, XOF
// and XPF. Fund codes with a minor unit (BOV, CHE, CHW, CLF, COU, MXV, USN,
// UYI, UYW) are kept. Codes that ISO is phasing out but that still occur in
// recent data (ANG, BGN, CUC, SLL, ZWL) are kept so that existing records
// stay valid.
const currencyTable = "" +
	"AED2AFN2ALL2AMD2ANG2AOA2ARS2AUD2AWG2AZN2" +
	"BAM2BBD2BDT2BGN2BHD3BIF0BMD2BND2BOB2BOV2BRL2BSD2BTN2BWP2BYN2BZD2" +
	"CAD2CDF2CHE2CHF2CHW2CLF4CLP0CNY2COP2COU2CRC2CUC2CUP2CVE2CZK2" +
	"DJF0DKK2DOP2DZD2" +
	"EGP2ERN2ETB2EUR2" +
	"FJD2FKP2" +
	"GBP2GEL2GHS2GIP2GMD2GNF0GTQ2GYD2" +
	"HKD2HNL2HTG2HUF2" +
	"IDR2ILS2INR2IQD3IRR2ISK0" +
	"JMD2JOD3JPY0" +
	"KES2KGS2KHR2KMF0KPW2KRW0KWD3KYD2KZT2" +
	"LAK2LBP2LKR2LRD2LSL2LYD3" +
	"MAD2MDL2MGA2MKD2MMK2MNT2MOP2MRU2MUR2MVR2MWK2MXN2MXV2MYR2MZN2" +
	"NAD2NGN2NIO2NOK2NPR2NZD2" +
	"OMR3" +
	"PAB2PEN2PGK2PHP2PKR2PLN2PYG0" +
	"QAR2" +
	"RON2RSD2RUB2RWF0" +
	"SAR2SBD2SCR2SDG2SEK2SGD2SHP2SLE2SLL2SOS2SRD2SSP2STN2SVC2SYP2SZL2" +
	"THB2TJS2TMT2TND3TOP2TRY2TTD2TWD2TZS2" +
	"UAH2UGX0USD2USN2UYI0UYU2UYW4UZS2" +
	"VED2VES2VND0VUV0" +
	"WST2" +
	"XAF0XCD2XCG2XOF0XPF0" +
	"YER2" +
	"ZAR2ZMW2ZWG2ZWL2"

const entryLen = 4

// MinorUnits returns the number of decimal digits of the minor unit of an
// ISO 4217 currency (2 for EUR, 0 for JPY, 3 for BHD) and whether the code is
// known. The code must be exactly three upper-case letters; use
// NormalizeCurrency for user input.
func MinorUnits(currency string) (int, bool) {
	if len(currency) != 3 {
		return 0, false
	}
	n := len(currencyTable) / entryLen
	i := sort.Search(n, func(i int) bool {
		return currencyTable[i*entryLen:i*entryLen+3] >= currency
	})
	if i < n && currencyTable[i*entryLen:i*entryLen+3] == currency {
		return int(currencyTable[i*entryLen+3] - '0'), true
	}
	return 0, false
}

// ValidCurrency reports whether currency is a known ISO 4217 code, exactly
// three upper-case letters.
func ValidCurrency(currency string) bool {
	_, ok := MinorUnits(currency)
	return ok
}

// Currencies returns every known currency code in ascending order. The
// caller owns the returned slice.
func Currencies() []string {
	out := make([]string, 0, len(currencyTable)/entryLen)
	for i := 0; i < len(currencyTable); i += entryLen {
		out = append(out, currencyTable[i:i+3])
	}
	return out
}

// NormalizeCurrency trims surrounding whitespace from s, upper-cases it and
// returns it if it is a known ISO 4217 code.
func NormalizeCurrency(s string) (string, error) {
	c := strings.TrimSpace(s)
	if len(c) == 3 {
		b := []byte(c)
		for i, ch := range b {
			if 'a' <= ch && ch <= 'z' {
				b[i] = ch - 'a' + 'A'
			}
		}
		c = string(b)
	}
	if !ValidCurrency(c) {
		return "", unknownCurrency(s)
	}
	return c, nil
}

func unknownCurrency(s string) error {
	return fmt.Errorf("unknown currency %q (want an ISO 4217 code such as \"EUR\")", textclip.Message(s))
}
