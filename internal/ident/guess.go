package ident

import "strings"

// Candidate is one interpretation of a string whose kind is unknown.
type Candidate struct {
	Kind  Kind
	Value string // normalised for Kind
}

// hasCloudPrefix reports whether s starts like a cloud resource ID:
// AWS instance IDs and ARNs, Azure resource IDs, GCP resource names.
func hasCloudPrefix(s string) bool {
	for _, p := range [...]string{"i-", "arn:", "/subscriptions/", "projects/"} {
		if hasPrefixFold(s, p) {
			return true
		}
	}
	return false
}

// Guess returns every plausible interpretation of input, such as what a
// person typed into an incident search box, normalised and most specific
// first, without duplicates. It returns nil when input is empty or nothing
// fits.
//
// The order is: CLOUD_ID for values with a well-known cloud prefix
// ("i-", "arn:", "/subscriptions/", "projects/"); then MAC, IP or UUID;
// then FQDN followed by HOSTNAME of its first label, or HOSTNAME for a
// single label; then SERIAL, ASSET_TAG and CLOUD_ID for anything they
// accept. A UUID is not offered as a SERIAL or ASSET_TAG, only as UUID and
// CLOUD_ID.
func Guess(input string) []Candidate {
	s := strings.TrimSpace(input)
	if s == "" {
		return nil
	}
	var out []Candidate
	add := func(k Kind, raw string) bool {
		v, err := Normalize(k, raw)
		if err != nil {
			return false
		}
		for _, c := range out {
			if c.Kind == k && c.Value == v {
				return true
			}
		}
		out = append(out, Candidate{Kind: k, Value: v})
		return true
	}
	if hasCloudPrefix(s) {
		add(CloudID, s)
	}
	add(MAC, s)
	add(IP, s)
	if add(UUID, s) {
		add(CloudID, s)
		return out
	}
	if fqdn, err := Normalize(FQDN, s); err == nil {
		add(FQDN, fqdn)
		add(Hostname, ShortName(fqdn))
	} else {
		add(Hostname, s)
	}
	add(Serial, s)
	add(AssetTag, s)
	add(CloudID, s)
	return out
}
