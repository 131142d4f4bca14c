// Package money handles amounts of money without floating point: amounts
// are stored as integer minor units (cents for EUR, yen for JPY, fils for
// BHD) together with an ISO 4217 currency code, and exchanged as decimal
// strings such as "12.50".
//
// Every function in this package is pure: no I/O and no mutable state.
package money

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// Money is an amount in the minor unit of an ISO 4217 currency.
type Money struct {
	Minor    int64  // amount in minor units: 1250 is 12.50 EUR
	Currency string // ISO 4217 code such as "EUR"
}

// Amount returns the amount as a canonical decimal string, as Format does.
func (m Money) Amount() string {
	return Format(m.Minor, m.Currency)
}

// String returns the amount followed by the currency, such as "12.50 EUR".
func (m Money) String() string {
	return m.Amount() + " " + m.Currency
}

// Parse converts a decimal amount such as "12.50" or "-0.05" into minor
// units of currency (1250 and -5 for EUR). The amount may have surrounding
// whitespace, a leading sign, and up to as many decimals as the currency
// has; further decimals are only allowed if they are zeros. Exponents,
// thousands separators, inner spaces, a bare or trailing decimal point
// (".5", "12.") and amounts beyond the int64 range are errors. The currency
// must be exactly a known ISO 4217 code (see NormalizeCurrency).
func Parse(amount, currency string) (int64, error) {
	exp, ok := MinorUnits(currency)
	if !ok {
		return 0, unknownCurrency(currency)
	}
	s := strings.TrimSpace(amount)
	bad := func(why string) (int64, error) {
		return 0, fmt.Errorf("invalid amount %q: %s", textclip.Message(s), why)
	}
	if s == "" {
		return bad(`want a decimal number such as "12.50"`)
	}
	rest, neg := s, false
	switch rest[0] {
	case '-':
		rest, neg = rest[1:], true
	case '+':
		rest = rest[1:]
	}
	intPart, frac, hasDot := strings.Cut(rest, ".")
	if p := digitsProblem(intPart); p != "" {
		if intPart == "" {
			return bad("missing digits before the decimal point")
		}
		return bad(p)
	}
	if hasDot {
		if frac == "" {
			return bad("missing digits after the decimal point")
		}
		if p := digitsProblem(frac); p != "" {
			return bad(p)
		}
	}
	if len(frac) > exp {
		if strings.Trim(frac[exp:], "0") != "" {
			return 0, fmt.Errorf("amount %q has more decimals than %s allows (%d)", textclip.Message(s), currency, exp)
		}
		frac = frac[:exp]
	}

	limit := uint64(math.MaxInt64)
	if neg {
		limit++ // -9223372036854775808 is representable
	}
	var mag uint64
	push := func(d byte) bool {
		v := uint64(d - '0')
		if mag > (limit-v)/10 {
			return false
		}
		mag = mag*10 + v
		return true
	}
	for i := 0; i < len(intPart); i++ {
		if !push(intPart[i]) {
			return 0, fmt.Errorf("amount %q is out of range", textclip.Message(s))
		}
	}
	for i := 0; i < exp; i++ {
		d := byte('0')
		if i < len(frac) {
			d = frac[i]
		}
		if !push(d) {
			return 0, fmt.Errorf("amount %q is out of range", textclip.Message(s))
		}
	}
	if neg {
		return int64(-mag), nil // two's complement: also right for 1<<63
	}
	return int64(mag), nil
}

// digitsProblem returns why s is not a non-empty run of ASCII digits, or "".
func digitsProblem(s string) string {
	if s == "" {
		return `want a decimal number such as "12.50"`
	}
	for _, r := range s {
		switch {
		case '0' <= r && r <= '9':
		case r == '.':
			return "more than one decimal point"
		case r == ',' || r == '_' || r == '\'':
			return fmt.Sprintf("separator %q is not allowed, write digits only with a '.' before the decimals", r)
		case r == 'e' || r == 'E':
			return "exponents are not allowed"
		case r == ' ' || r == '\u00a0' || r == '\t':
			return "spaces are not allowed inside an amount"
		case r == '-' || r == '+':
			return "a sign is only allowed at the start"
		default:
			return fmt.Sprintf("unexpected character %q", r)
		}
	}
	return ""
}

// ParseNonNegative is Parse for amounts that must not be negative, such as
// prices and costs.
func ParseNonNegative(amount, currency string) (int64, error) {
	v, err := Parse(amount, currency)
	if err != nil {
		return 0, err
	}
	if v < 0 {
		return 0, fmt.Errorf("amount must not be negative, got %q", textclip.Message(strings.TrimSpace(amount)))
	}
	return v, nil
}

// Format returns minor units of currency as a canonical decimal string with
// exactly the currency's number of decimals: 1250 EUR is "12.50", 1250 JPY
// is "1250", 1 BHD is "0.001" and -5 EUR is "-0.05". An unknown currency is
// formatted with 2 decimals. Parse(Format(m, c), c) returns m for every m.
func Format(minor int64, currency string) string {
	exp, ok := MinorUnits(currency)
	if !ok {
		exp = 2
	}
	mag := uint64(minor)
	if minor < 0 {
		mag = -mag // two's complement: also right for math.MinInt64
	}
	digits := strconv.FormatUint(mag, 10)
	if exp > 0 {
		if len(digits) <= exp {
			digits = strings.Repeat("0", exp-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-exp] + "." + digits[len(digits)-exp:]
	}
	if minor < 0 {
		return "-" + digits
	}
	return digits
}
