package schema

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"

	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/money"
)

// The validators run on every write path (GraphQL, CLI, import, discovery),
// after the normalising hooks of internal/hooks.

func validHostname(s string) error {
	if !ident.ValidHostname(s) {
		return fmt.Errorf("invalid host name %q: want one RFC 1123 label (letters, digits, hyphens, at most 63 characters)", s)
	}
	return nil
}

func validFQDN(s string) error {
	if !ident.ValidFQDN(s) {
		return fmt.Errorf("invalid FQDN %q: want dotted RFC 1123 labels such as \"web01.example.com\"", s)
	}
	return nil
}

func validSerial(s string) error {
	_, err := ident.Normalize(ident.Serial, s)
	return err
}

func validAssetTag(s string) error {
	_, err := ident.Normalize(ident.AssetTag, s)
	return err
}

func validEmail(s string) error {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return fmt.Errorf("invalid e-mail address %q", s)
	}
	return nil
}

func validURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("invalid URL %q: want an absolute http or https URL", s)
	}
	return nil
}

func validCurrency(s string) error {
	if !money.ValidCurrency(s) {
		return fmt.Errorf("unknown currency %q (want an ISO 4217 code such as \"EUR\")", s)
	}
	return nil
}

func notBlank(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("must not be blank")
	}
	return nil
}
