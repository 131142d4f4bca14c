package hooks

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/textsafe"
)

func rowStrings(rows []softwareRow) []string {
	out := []string{}
	for _, r := range rows {
		arch, manager := "-", "-"
		if r.arch != nil {
			arch = *r.arch
		}
		if r.manager != nil {
			manager = *r.manager
		}
		out = append(out, fmt.Sprintf("%s=%s/%s/%s", r.name, r.version, arch, manager))
	}
	return out
}

func TestSoftwareRows(t *testing.T) {
	cases := []struct {
		name  string
		facts map[string]any
		want  []string
	}{
		{"none", map[string]any{"os.id": "debian", "packages.count": "0"}, []string{}},
		{"paired by position", map[string]any{"package.a": "1,2", "package_arch.a": "amd64,i386", "packages.manager": "rpm"},
			[]string{"a=1/amd64/rpm", "a=2/i386/rpm"}},
		{"one version, several architectures", map[string]any{"package.libc6": "2.36-9", "package_arch.libc6": "amd64,i386"},
			[]string{"libc6=2.36-9/amd64/-", "libc6=2.36-9/i386/-"}},
		{"a mismatch leaves the architecture out", map[string]any{"package.k": "1,2", "package_arch.k": "amd64,amd64,i386"},
			[]string{"k=1/-/-", "k=2/-/-"}},
		{"repeats count once, blanks none", map[string]any{"package.r": " 1 , 1,,", "package_arch.r": "x,x,y,z"},
			[]string{"r=1/x/-"}},
		{"bad text leaves rows or parts out", map[string]any{
			"package.ok": "1\x00", "package.bidi\u202e": "1", "package.": "1", "package.long": string(make([]byte, 300)),
			"package.fine": "2", "package_arch.fine": "a\x07", "packages.manager": "dpkg\u200b",
		}, []string{"fine=2/-/-"}},
		{"not a string", map[string]any{"package.n": 3.5, "packages.manager": "dpkg"}, []string{"n=3.5/-/dpkg"}},
	}
	for _, c := range cases {
		if got := rowStrings(softwareRows(c.facts)); !slices.Equal(got, c.want) {
			t.Errorf("%s: softwareRows = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestSamePackages(t *testing.T) {
	base := map[string]any{"package.a": "1", "package_arch.a": "amd64", "packages.manager": "dpkg", "uptime": "1"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for bk, bv := range base {
			m[bk] = bv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name string
		cur  map[string]any
		want bool
	}{
		{"same", with("uptime", "2"), true},
		{"version", with("package.a", "2"), false},
		{"arch", with("package_arch.a", "i386"), false},
		{"manager", with("packages.manager", "rpm"), false},
		{"added", with("package.b", "1"), false},
		{"removed", with("package.a", nil), false},
		{"cleared", nil, false},
	}
	for _, c := range cases {
		if got := samePackages(base, c.cur); got != c.want {
			t.Errorf("%s: samePackages = %v, want %v", c.name, got, c.want)
		}
	}
}

// FuzzSoftwareRows: whatever a source reports, the rows are storable (the
// limits and textsafe.CheckName hold), encode as the JSON the INSERT reads,
// and a package's rows are as many as its distinct (version, arch) pairs.
func FuzzSoftwareRows(f *testing.F) {
	f.Add("openssl", "3.0.11-1~deb12u2,3.0.9-1", "amd64,i386", "dpkg")
	f.Add("libc6", "2.36-9", "amd64,i386", "")
	f.Add("x\x00", "1\u202e", ",,", "rpm\x01")
	f.Fuzz(func(t *testing.T, name, versions, arches, manager string) {
		rows := softwareRows(map[string]any{
			"package." + name: versions, "package_arch." + name: arches, "packages.manager": manager,
		})
		for _, r := range rows {
			for _, v := range []*string{&r.name, &r.version, r.arch, r.manager} {
				if v != nil && (*v == "" || textsafe.CheckName(*v) != nil) {
					t.Fatalf("row %+v holds %q", r, *v)
				}
			}
			if len(r.name) > maxSoftwareName || len(r.version) > maxSoftwareVersion {
				t.Fatalf("row %+v is too long", r)
			}
			if _, err := json.Marshal([]any{r.name, r.version, r.arch, r.manager, 1}); err != nil {
				t.Fatalf("row %+v does not encode: %v", r, err)
			}
		}
		if len(rows) > len(splitList(versions))*max(1, len(splitList(arches))) {
			t.Fatalf("%d rows from %q and %q", len(rows), versions, arches)
		}
	})
}
