package money

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestMinorUnits(t *testing.T) {
	for _, tc := range []struct {
		code string
		want int
		ok   bool
	}{
		{"USD", 2, true}, {"EUR", 2, true}, {"GBP", 2, true}, {"CHF", 2, true},
		{"JPY", 0, true}, {"KRW", 0, true}, {"CLP", 0, true}, {"ISK", 0, true}, {"VND", 0, true},
		{"BHD", 3, true}, {"KWD", 3, true}, {"JOD", 3, true}, {"OMR", 3, true},
		{"TND", 3, true}, {"LYD", 3, true}, {"IQD", 3, true},
		{"CLF", 4, true}, {"UYW", 4, true},
		{"XAF", 0, true}, {"XOF", 0, true}, {"XPF", 0, true}, {"XCD", 2, true},
		{"AED", 2, true}, {"ZWG", 2, true},
		{"XAU", 0, false}, {"XAG", 0, false}, {"XDR", 0, false}, {"XTS", 0, false}, {"XXX", 0, false},
		{"eur", 0, false}, {"Eur", 0, false}, {" EUR", 0, false}, {"EURO", 0, false},
		{"EU", 0, false}, {"", 0, false}, {"ABC", 0, false}, {"AAA", 0, false}, {"ZZZ", 0, false},
		{"HRK", 0, false}, {"DEM", 0, false},
	} {
		got, ok := MinorUnits(tc.code)
		if got != tc.want || ok != tc.ok {
			t.Errorf("MinorUnits(%q) = %d, %v, want %d, %v", tc.code, got, ok, tc.want, tc.ok)
		}
		if v := ValidCurrency(tc.code); v != tc.ok {
			t.Errorf("ValidCurrency(%q) = %v, want %v", tc.code, v, tc.ok)
		}
	}
}

func TestCurrencyTable(t *testing.T) {
	if len(currencyTable)%entryLen != 0 {
		t.Fatalf("len(currencyTable) = %d, want a multiple of %d", len(currencyTable), entryLen)
	}
	codes := Currencies()
	if len(codes) < 150 {
		t.Fatalf("Currencies() has %d codes, want the full ISO 4217 list", len(codes))
	}
	if !slices.IsSorted(codes) {
		t.Fatalf("Currencies() is not sorted: %v", codes)
	}
	if c := slices.Compact(slices.Clone(codes)); len(c) != len(codes) {
		t.Fatalf("Currencies() has duplicates")
	}
	counts := map[int]int{}
	for i, c := range codes {
		for j := 0; j < 3; j++ {
			if c[j] < 'A' || c[j] > 'Z' {
				t.Fatalf("code %q is not three upper-case letters", c)
			}
		}
		e := currencyTable[i*entryLen+3]
		if e != '0' && e != '2' && e != '3' && e != '4' {
			t.Fatalf("code %q has exponent %q", c, e)
		}
		n, ok := MinorUnits(c)
		if !ok {
			t.Fatalf("MinorUnits(%q) not found", c)
		}
		counts[n]++
		if c[0] == 'X' && !slices.Contains([]string{"XAF", "XCD", "XCG", "XOF", "XPF"}, c) {
			t.Errorf("code %q is an X-code that is not a currency", c)
		}
	}
	if counts[3] != 7 || counts[4] != 2 {
		t.Errorf("exponent counts = %v, want 7 codes with 3 and 2 with 4", counts)
	}
	codes[0] = "MUT"
	if Currencies()[0] != "AED" {
		t.Fatalf("Currencies() returned shared state")
	}
}

func TestNormalizeCurrency(t *testing.T) {
	for _, tc := range []struct {
		name, in, want, wantErr string
	}{
		{name: "exact", in: "EUR", want: "EUR"},
		{name: "lower", in: "eur", want: "EUR"},
		{name: "mixed and spaces", in: "  uSd\n", want: "USD"},
		{name: "unknown", in: "abc", wantErr: `unknown currency "abc" (want an ISO 4217 code such as "EUR")`},
		{name: "metal", in: "xau", wantErr: `unknown currency "xau"`},
		{name: "empty", in: "", wantErr: `unknown currency ""`},
		{name: "symbol", in: "€", wantErr: `unknown currency "€"`},
		{name: "dotless i not folded", in: "\u0131nr", wantErr: "unknown currency"},
		{name: "name", in: "euro", wantErr: "unknown currency"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NormalizeCurrency(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("NormalizeCurrency(%q) = %q, %v, want error containing %q", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("NormalizeCurrency(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name     string
		amount   string
		currency string
		want     int64
		wantErr  string
	}{
		{name: "two decimals", amount: "12.50", currency: "EUR", want: 1250},
		{name: "one decimal", amount: "12.5", currency: "EUR", want: 1250},
		{name: "no decimals", amount: "12", currency: "EUR", want: 1200},
		{name: "extra zero decimals", amount: "12.500", currency: "EUR", want: 1250},
		{name: "many extra zeros", amount: "12.5000000000000000000000", currency: "EUR", want: 1250},
		{name: "plus sign", amount: "+12.50", currency: "EUR", want: 1250},
		{name: "negative", amount: "-0.05", currency: "EUR", want: -5},
		{name: "negative zero", amount: "-0", currency: "EUR", want: 0},
		{name: "zero", amount: "0", currency: "EUR", want: 0},
		{name: "leading zeros", amount: "007.5", currency: "EUR", want: 750},
		{name: "outer whitespace", amount: " \t12.50\n", currency: "EUR", want: 1250},
		{name: "jpy", amount: "1250", currency: "JPY", want: 1250},
		{name: "jpy zero decimals", amount: "1250.00", currency: "JPY", want: 1250},
		{name: "bhd", amount: "0.001", currency: "BHD", want: 1},
		{name: "clf", amount: "1.2345", currency: "CLF", want: 12345},
		{name: "max int64", amount: "92233720368547758.07", currency: "EUR", want: math.MaxInt64},
		{name: "min int64", amount: "-92233720368547758.08", currency: "EUR", want: math.MinInt64},
		{name: "max int64 jpy", amount: "9223372036854775807", currency: "JPY", want: math.MaxInt64},
		{name: "too many decimals", amount: "12.505", currency: "EUR", wantErr: `amount "12.505" has more decimals than EUR allows (2)`},
		{name: "jpy decimals", amount: "12.5", currency: "JPY", wantErr: `amount "12.5" has more decimals than JPY allows (0)`},
		{name: "overflow", amount: "92233720368547758.08", currency: "EUR", wantErr: `amount "92233720368547758.08" is out of range`},
		{name: "negative overflow", amount: "-92233720368547758.09", currency: "EUR", wantErr: "out of range"},
		{name: "huge", amount: strings.Repeat("9", 40), currency: "JPY", wantErr: "out of range"},
		{name: "trailing dot", amount: "12.", currency: "EUR", wantErr: `invalid amount "12.": missing digits after the decimal point`},
		{name: "leading dot", amount: ".5", currency: "EUR", wantErr: "missing digits before the decimal point"},
		{name: "sign only", amount: "-", currency: "EUR", wantErr: "missing digits before"},
		{name: "empty", amount: "  ", currency: "EUR", wantErr: `invalid amount ""`},
		{name: "exponent", amount: "1e3", currency: "EUR", wantErr: "exponents are not allowed"},
		{name: "thousands comma", amount: "1,000.00", currency: "EUR", wantErr: "separator ',' is not allowed"},
		{name: "decimal comma", amount: "12,50", currency: "EUR", wantErr: "separator ','"},
		{name: "thousands underscore", amount: "1_000", currency: "EUR", wantErr: "separator '_'"},
		{name: "inner space", amount: "1 000", currency: "EUR", wantErr: "spaces are not allowed"},
		{name: "two dots", amount: "1.2.3", currency: "EUR", wantErr: "more than one decimal point"},
		{name: "double sign", amount: "--5", currency: "EUR", wantErr: "sign is only allowed at the start"},
		{name: "trailing sign", amount: "5-", currency: "EUR", wantErr: "sign is only allowed at the start"},
		{name: "currency symbol", amount: "€5", currency: "EUR", wantErr: `unexpected character '€'`},
		{name: "fullwidth digit", amount: "１", currency: "EUR", wantErr: "unexpected character"},
		{name: "hex", amount: "0x10", currency: "EUR", wantErr: "unexpected character 'x'"},
		{name: "nan", amount: "NaN", currency: "EUR", wantErr: "unexpected character"},
		{name: "unknown currency", amount: "1", currency: "eur", wantErr: `unknown currency "eur"`},
		{name: "metal", amount: "1", currency: "XAU", wantErr: "unknown currency"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.amount, tc.currency)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Parse(%q, %q) = %d, %v, want error containing %q", tc.amount, tc.currency, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Parse(%q, %q) = %d, %v, want %d", tc.amount, tc.currency, got, err, tc.want)
			}
		})
	}
}

func TestParseNonNegative(t *testing.T) {
	for _, tc := range []struct {
		name, amount string
		want         int64
		wantErr      string
	}{
		{name: "positive", amount: "5", want: 500},
		{name: "zero", amount: "0.00", want: 0},
		{name: "negative zero", amount: "-0.00", want: 0},
		{name: "negative", amount: "-5", wantErr: `amount must not be negative, got "-5"`},
		{name: "negative trimmed", amount: " -0.01 ", wantErr: `amount must not be negative, got "-0.01"`},
		{name: "invalid", amount: "abc", wantErr: "invalid amount"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseNonNegative(tc.amount, "EUR")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseNonNegative(%q, \"EUR\") = %d, %v, want error containing %q", tc.amount, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseNonNegative(%q, \"EUR\") = %d, %v, want %d", tc.amount, got, err, tc.want)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		name     string
		minor    int64
		currency string
		want     string
	}{
		{"eur", 1250, "EUR", "12.50"},
		{"eur zero", 0, "EUR", "0.00"},
		{"eur one cent", 1, "EUR", "0.01"},
		{"eur negative", -5, "EUR", "-0.05"},
		{"eur negative whole", -1200, "EUR", "-12.00"},
		{"jpy", 1250, "JPY", "1250"},
		{"jpy negative", -7, "JPY", "-7"},
		{"bhd", 1, "BHD", "0.001"},
		{"bhd whole", 12345, "BHD", "12.345"},
		{"clf", 5, "CLF", "0.0005"},
		{"max", math.MaxInt64, "EUR", "92233720368547758.07"},
		{"min", math.MinInt64, "EUR", "-92233720368547758.08"},
		{"min jpy", math.MinInt64, "JPY", "-9223372036854775808"},
		{"unknown currency", 1250, "ABC", "12.50"},
		{"empty currency", -1, "", "-0.01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Format(tc.minor, tc.currency); got != tc.want {
				t.Fatalf("Format(%d, %q) = %q, want %q", tc.minor, tc.currency, got, tc.want)
			}
		})
	}
}

func TestMoney(t *testing.T) {
	for _, tc := range []struct {
		m        Money
		str, amt string
	}{
		{Money{1250, "EUR"}, "12.50 EUR", "12.50"},
		{Money{1250, "JPY"}, "1250 JPY", "1250"},
		{Money{-5, "BHD"}, "-0.005 BHD", "-0.005"},
	} {
		if got := tc.m.String(); got != tc.str {
			t.Errorf("%#v.String() = %q, want %q", tc.m, got, tc.str)
		}
		if got := tc.m.Amount(); got != tc.amt {
			t.Errorf("%#v.Amount() = %q, want %q", tc.m, got, tc.amt)
		}
	}
}

// TestRoundTripEdges checks Parse(Format(m)) == m at the int64 edges for
// every currency.
func TestRoundTripEdges(t *testing.T) {
	values := []int64{0, 1, -1, 9, -9, 10, 99, 100, 12345, -12345, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1}
	for _, c := range Currencies() {
		for _, m := range values {
			s := Format(m, c)
			got, err := Parse(s, c)
			if err != nil || got != m {
				t.Errorf("Parse(Format(%d, %q) = %q) = %d, %v, want %d", m, c, s, got, err, m)
			}
		}
	}
}
