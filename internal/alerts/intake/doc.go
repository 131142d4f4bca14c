// Package intake reads alerts from monitoring tools: Prometheus
// Alertmanager's webhook payload (version 4, ParseAlertmanager) and a plain
// JSON array of alerts with the same fields for any other tool
// (ParseAlerts). It is pure (no database, no HTTP): the HTTP routes
// (internal/server), the service that stores and correlates alerts
// (internal/alerts) and `cairn alerts replay` call it.
//
// # Validation
//
// A payload is valid whole or refused whole: the first fault is returned
// as an internal/apperr BAD_USER_INPUT error whose field names the element
// and the field, e.g. "alerts[3].startsAt: not an RFC 3339 time". Limits
// (Limits, DefaultLimits) bound the payload's size, its number of alerts,
// and each alert's labels and annotations. Label and annotation names and
// label values are one line of visible text (textsafe.CheckName: no NUL,
// control, bidirectional-formatting or invisible characters, valid UTF-8);
// annotation values are free text that may hold line breaks and tabs but
// no other unsafe character.
//
// Times are RFC 3339. startsAt is required. Alertmanager's zero time
// "0001-01-01T00:00:00Z" (and an absent endsAt) is no end: the alert is
// firing. An end before the start is refused; a resolved alert needs an
// end from Alertmanager. The generic route may omit status: the alert is
// then resolved when its end is at or before Options.Now, firing otherwise.
//
// Alertmanager's payload may carry fields this package does not know (a
// later Alertmanager version 4 may add some) and they are ignored; the
// generic route refuses unknown fields so that a misspelt one is not lost.
//
// # Deduplication
//
// An alert's Key is its fingerprint when one was given, else the
// fingerprint of its labels minus the volatile ones (Options.Volatile, none
// by default), computed as Alertmanager computes its own (prometheus/common
// model.LabelSet.Fingerprint: FNV-1a 64 over the label names in byte order,
// each name and value followed by the byte 0xff, written as 16 lower-case
// hex digits). So with no volatile labels, an alert posted to either route
// without a fingerprint gets the key Alertmanager would give it.
//
// # Binding hints
//
// Hints lists what an alert's labels say about its CI, in the order the
// binding tries them: cairn_ci (a CI name or decimal ID), instance (its
// port and URL parts stripped), host, hostname, nodename, fqdn, ip, mac,
// serial, then service (a Service name). Each hint is one input for
// internal/incident's Engine.Match (or, for a cairn_ci ID, Hint.CIID and
// Request.CI). For the binding, a hint binds on Match's IDENTIFIER and
// SHORT_NAME rules (and NAME for cairn_ci) with exactly one ID; a PREFIX
// match, or more than one ID, is no binding (the alert stays unbound and
// visible), and the first hint that binds is the alert's boundBy. Alerts
// carry no network scope, so Match gets nil: a private address held in
// several scopes is ambiguous. A value an earlier hint already gave is
// left out (instance "[2001:db8::7]:9100" and hostname "2001:db8::7").
package intake
