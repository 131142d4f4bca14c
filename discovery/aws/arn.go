package aws

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// ARN is an Amazon Resource Name split into its fields:
// "arn:partition:service:region:account:resource".
type ARN struct {
	Partition, Service, Region, Account, Resource string
}

// String returns the ARN in its text form.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// MaxARN bounds the length of an ARN this source reads (IAM allows 2048).
const MaxARN = 2048

// ParseARN splits s into an ARN. The partition, service and resource must
// be present; region and account may be empty (S3 and IAM ARNs leave them
// out); the account, when present, is 12 digits.
func ParseARN(s string) (ARN, error) {
	if len(s) > MaxARN {
		return ARN{}, fmt.Errorf("ARN of %d bytes (at most %d)", len(s), MaxARN)
	}
	f := strings.SplitN(s, ":", 6)
	if len(f) != 6 || f[0] != "arn" {
		return ARN{}, fmt.Errorf("%q is not an ARN (arn:partition:service:region:account:resource)", textclip.Message(s))
	}
	a := ARN{Partition: f[1], Service: f[2], Region: f[3], Account: f[4], Resource: f[5]}
	if !lowerName(a.Partition) || !lowerName(a.Service) || a.Region != "" && !lowerName(a.Region) {
		return ARN{}, fmt.Errorf("ARN %q: partition, service and region are lower-case letters, digits and dashes", textclip.Message(s))
	}
	if a.Account != "" && !accountID(a.Account) {
		return ARN{}, fmt.Errorf("ARN %q: account %q is not 12 digits", textclip.Message(s), textclip.Message(a.Account))
	}
	if a.Resource == "" || strings.ContainsFunc(a.Resource, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return ARN{}, fmt.Errorf("ARN %q: %w", textclip.Message(s), errBadResource)
	}
	return a, nil
}

var errBadResource = errors.New("empty resource or control characters in it")

// lowerName reports whether s is a non-empty run of lower-case letters,
// digits and dashes.
func lowerName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// accountID reports whether s is an AWS account ID: 12 digits.
func accountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// partitionOf returns the partition of a region when no ARN says it.
func partitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	}
	return "aws"
}
