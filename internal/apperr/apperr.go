// Package apperr is the one error type Cairn shows to clients: a code from a
// fixed list (the GraphQL extensions.code), the input field at fault when
// there is one, and a message a person can act on.
package apperr

import (
	"errors"
	"fmt"
	"strings"
)

// Code is a GraphQL extensions.code value.
type Code string

// The codes clients can rely on.
const (
	Unauthenticated Code = "UNAUTHENTICATED"
	Forbidden       Code = "FORBIDDEN"
	BadUserInput    Code = "BAD_USER_INPUT"
	NotFound        Code = "NOT_FOUND"
	Conflict        Code = "CONFLICT"
	Internal        Code = "INTERNAL"
)

// Error is an error with a client-facing code and, for BAD_USER_INPUT, the
// GraphQL name of the field at fault.
type Error struct {
	Code  Code
	Field string
	Msg   string
	Err   error
}

func (e *Error) Error() string {
	msg := e.Msg
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: %s", e.Field, msg)
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Invalid is a BAD_USER_INPUT error on field (a GraphQL field name).
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: BadUserInput, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// InvalidErr wraps err as a BAD_USER_INPUT error on field.
func InvalidErr(field string, err error) *Error {
	return &Error{Code: BadUserInput, Field: field, Msg: err.Error(), Err: err}
}

// New is an error with code and message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// GraphQLName turns an ent field name (snake_case) into its GraphQL name the
// way entgql does: camelCase with Go acronyms kept upper-case
// ("runbook_url" → "runbookURL", "owner_id" → "ownerID").
func GraphQLName(field string) string {
	parts := strings.Split(field, "_")
	var b strings.Builder
	for i, p := range parts {
		if p == "" {
			continue
		}
		up := strings.ToUpper(p)
		if isAcronym(up) {
			if i == 0 {
				b.WriteString(strings.ToLower(p))
			} else {
				b.WriteString(up)
			}
			continue
		}
		if i == 0 {
			b.WriteString(strings.ToLower(p[:1]) + p[1:])
		} else {
			b.WriteString(strings.ToUpper(p[:1]) + p[1:])
		}
	}
	return b.String()
}

func isAcronym(s string) bool {
	switch s {
	case "ACL", "API", "ASCII", "AWS", "CPU", "CSS", "DNS", "EOF", "GB", "GUID", "HCL", "HTML", "HTTP",
		"HTTPS", "ID", "IP", "JSON", "KB", "LHS", "MAC", "MB", "QPS", "RAM", "RHS", "RPC", "SLA", "SMTP",
		"SQL", "SSH", "SSO", "TCP", "TLS", "TTL", "UDP", "UI", "UID", "URI", "URL", "UTF8", "UUID", "VM",
		"XML", "XMPP", "XSRF", "XSS":
		return true
	}
	return false
}
