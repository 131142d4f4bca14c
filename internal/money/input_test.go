package money_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/money"
)

func ptr(s string) *string { return &s }

func TestCurrencyOr(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      *string
		def     string
		want    string
		wantErr string
	}{
		{"left out", nil, "EUR", "EUR", ""},
		{"left out, stored default", nil, "JPY", "JPY", ""},
		{"given", ptr(" usd "), "EUR", "USD", ""},
		{"unknown", ptr("EURO"), "EUR", "", `unknown currency "EURO"`},
		{"blank is given, not left out", ptr(""), "EUR", "", `unknown currency ""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := money.CurrencyOr(tc.in, tc.def)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("CurrencyOr = %q, %v, want error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("CurrencyOr = %q, %v, want %q", got, err, tc.want)
			}
		})
	}
}

func TestParseOptional(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       *string
		currency string
		want     string // minor units, or "nil"
		wantErr  string
	}{
		{"left out", nil, "EUR", "nil", ""},
		{"decimal", ptr(" 12.5 "), "EUR", "1250", ""},
		{"no decimals", ptr("1500.00"), "JPY", "1500", ""},
		{"three decimals", ptr("0.005"), "BHD", "5", ""},
		{"negative", ptr("-1"), "EUR", "", "must not be negative"},
		{"too many decimals", ptr("1500.5"), "JPY", "", "has more decimals than JPY allows (0)"},
		{"blank is given", ptr(""), "EUR", "", `invalid amount ""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := money.ParseOptional(tc.in, tc.currency)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseOptional = %v, %v, want error containing %q", v, err, tc.wantErr)
				}
				return
			}
			got := "nil"
			if v != nil {
				got = fmt.Sprint(*v)
			}
			if err != nil || got != tc.want {
				t.Errorf("ParseOptional = %s, %v, want %s", got, err, tc.want)
			}
		})
	}
}

func TestRecast(t *testing.T) {
	for _, tc := range []struct {
		minor    int64
		from, to string
		want     int64
		wantErr  string
	}{
		{1250, "EUR", "EUR", 1250, ""},
		{1250, "EUR", "USD", 1250, ""},
		{1900, "JPY", "USD", 190000, ""},
		{12000_00, "CHF", "KWD", 12000_000, ""},
		{1200, "EUR", "JPY", 12, ""},
		{1250, "EUR", "JPY", 0, "more decimals than JPY allows (0)"},
		{12005, "BHD", "EUR", 0, "more decimals than EUR allows (2)"},
		{1, "EUR", "ZZZ", 0, `unknown currency "ZZZ"`},
		{1, "ZZZ", "EUR", 0, `unknown currency "ZZZ"`},
	} {
		got, err := money.Recast(tc.minor, tc.from, tc.to)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Recast(%d, %s, %s) = %d, %v, want error containing %q", tc.minor, tc.from, tc.to, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Recast(%d, %s, %s) = %d, %v, want %d", tc.minor, tc.from, tc.to, got, err, tc.want)
		}
	}
}
