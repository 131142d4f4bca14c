package aws

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseARN(t *testing.T) {
	tests := []struct {
		in   string
		want ARN
		err  string
	}{
		{in: "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc", want: ARN{"aws", "ec2", "eu-west-1", "123456789012", "instance/i-0abc"}},
		{in: "arn:aws:s3:::bucket", want: ARN{"aws", "s3", "", "", "bucket"}},
		{in: "arn:aws-us-gov:iam::123456789012:role/a:b", want: ARN{"aws-us-gov", "iam", "", "123456789012", "role/a:b"}},
		{in: "arn:aws:lambda:eu-west-1:123456789012:function:f", want: ARN{"aws", "lambda", "eu-west-1", "123456789012", "function:f"}},
		{in: "i-0abc", err: "is not an ARN"},
		{in: "arn:aws:ec2:eu-west-1:12345:instance/i", err: "is not 12 digits"},
		{in: "arn:AWS:ec2:eu-west-1:123456789012:instance/i", err: "lower-case"},
		{in: "arn:aws:ec2:eu-west-1:123456789012:", err: "empty resource"},
		{in: "arn:aws:ec2:eu-west-1:123456789012:a\nb", err: "control characters"},
		{in: "arn:aws::eu-west-1:123456789012:x", err: "lower-case"},
	}
	for _, tt := range tests {
		got, err := ParseARN(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseARN(%q) = %v, %v; want an error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want || got.String() != tt.in {
			t.Errorf("ParseARN(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseARN(f *testing.F) {
	for _, s := range []string{"arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc", "arn:aws:s3:::b", "arn:::::", "arn:a:b:c:d:e", "", "arn:aws:iam::123456789012:role/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseARN(s)
		if err != nil {
			if !utf8.ValidString(err.Error()) {
				t.Errorf("error not UTF-8: %q", err)
			}
			return
		}
		if a.String() != s {
			t.Errorf("ParseARN(%q).String() = %q", s, a.String())
		}
		if a.Partition == "" || a.Service == "" || a.Resource == "" || a.Account != "" && !accountID(a.Account) {
			t.Errorf("ParseARN(%q) = %+v accepted", s, a)
		}
		again, err := ParseARN(a.String())
		if err != nil || again != a {
			t.Errorf("round trip of %q: %+v, %v", s, again, err)
		}
	})
}

func TestTagFacts(t *testing.T) {
	mapping := []tagRole{{fact: "owner", keys: []string{"Owner", "team"}}, {fact: "environment", keys: []string{"env"}}}
	facts, skipped := tagFacts(mapping, []Tag{
		{"team", "b"}, {"Owner", "  "}, {"env", " prod "}, {"", "x"}, {"bad\x01", "y"}, {"Name", "web"},
	})
	want := map[string]string{"tag.team": "b", "tag.Owner": "  ", "tag.env": " prod ", "tag.Name": "web", "owner": "b", "environment": "prod"}
	if skipped != 2 || len(facts) != len(want) {
		t.Fatalf("tagFacts = %v, %d skipped; want %v, 2", facts, skipped, want)
	}
	for k, v := range want {
		if facts[k] != v {
			t.Errorf("fact %s = %q, want %q", k, facts[k], v)
		}
	}
}

func FuzzTagFacts(f *testing.F) {
	f.Add("Owner", "team-a", "env", "prod", "team")
	f.Add("", "", "\x00", "\xff", "Owner")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, mapKey string) {
		mapping := []tagRole{{fact: "owner", keys: []string{mapKey, "Owner"}}}
		facts, skipped := tagFacts(mapping, []Tag{{k1, v1}, {k2, v2}})
		if skipped < 0 || skipped > 2 {
			t.Fatalf("skipped %d", skipped)
		}
		for k, v := range facts {
			if !utf8.ValidString(k) || !utf8.ValidString(v) || strings.ContainsAny(k+v, "\x00\x01\n\r\x7f") {
				t.Errorf("fact %q = %q holds invalid text", k, v)
			}
			if k != "owner" && !strings.HasPrefix(k, "tag.") {
				t.Errorf("unexpected fact %q", k)
			}
		}
		if v, ok := facts["owner"]; ok && (v == "" || v != strings.TrimSpace(v)) {
			t.Errorf("owner %q not trimmed or empty", v)
		}
	})
}
