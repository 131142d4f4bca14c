package money

// This file reads money as people give it (the GraphQL API, an import
// document): a currency code that may be left out and decimal amounts that
// may be left out, each parsed on its own so a caller can name the field
// that is wrong.

// CurrencyOr returns the currency given in in, normalised as
// NormalizeCurrency does, or def when none is given (nil). A given but
// unknown or blank code is an error.
func CurrencyOr(in *string, def string) (string, error) {
	if in == nil {
		return def, nil
	}
	return NormalizeCurrency(*in)
}

// ParseOptional parses an amount that may be left out (nil, returned as
// nil) into minor units of currency. Given amounts must not be negative:
// they are prices, costs and proceeds. See Parse for the syntax.
func ParseOptional(in *string, currency string) (*int64, error) {
	if in == nil {
		return nil, nil
	}
	v, err := ParseNonNegative(*in, currency)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// Recast re-expresses minor units of currency from in currency to with the
// same decimal value: 12.50 EUR is 12.50 USD, 1900 JPY is 1900.00 USD. It
// fails when to cannot hold the value (12.50 EUR in JPY) or either currency
// is unknown.
func Recast(minor int64, from, to string) (int64, error) {
	if from == to {
		return minor, nil
	}
	if !ValidCurrency(from) {
		return 0, unknownCurrency(from)
	}
	return Parse(Format(minor, from), to)
}
