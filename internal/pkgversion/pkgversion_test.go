package pkgversion

import (
	"bufio"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/lab"
)

// debianCases are tricky pairs with the answer dpkg gives (checked again
// against dpkg itself by TestCompareDebianAgainstDpkg).
func debianCases() []struct {
	a, b string
	want int
} {
	return []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0},
		{"1.0", "1.0-0", 0},
		{"1.0-1", "1.0-0", 1},
		{"1.0", "1.1", -1},
		{"1.10", "1.9", 1},
		{"1.001", "1.1", 0},
		{"1:1.0", "2.0", 1},
		{"0:1.0", "1.0", 0},
		{"1.0~rc1", "1.0", -1},
		{"1.0~~", "1.0~", -1},
		{"1.0~", "1.0", -1},
		{"1.0~rc1", "1.0~rc1~", 1},
		{"1.0a", "1.0", 1},
		{"1.0a", "1.0+", -1},
		{"1.0+", "1.0.", -1},
		{"1.0-1+b1", "1.0-1", 1},
		{"1.0-1~bpo1", "1.0-1", -1},
		{"3.0.11-1~deb12u2", "3.0.11-1~deb12u3", -1},
		{"3.0.11-1~deb12u2", "3.0.13-1~deb12u1", -1},
		{"3.0.15-1~deb12u1", "3.0.11-1~deb12u2", 1},
		{"2.38.1-5+deb12u3", "1:2.38.1-5+deb12u3", -1},
		{"12.4+deb12u11", "12.4+deb12u9", 1},
		{"1.2.3-4-5", "1.2.3-4-4", 1},
		{"a", "b", -1},
		{"A", "a", -1},
		{"Z", "a", -1},
		{"", "0", 0},
		{"1.0.0", "1.0", 1},
		{"1:0", "0:99999999999999999999999", 1},
		{"99999999999999999999999", "99999999999999999999998", 1},
	}
}

func TestCompareDebian(t *testing.T) {
	for _, c := range debianCases() {
		if got := CompareDebian(c.a, c.b); got != c.want {
			t.Errorf("CompareDebian(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := CompareDebian(c.b, c.a); got != -c.want {
			t.Errorf("CompareDebian(%q, %q) = %d, want %d", c.b, c.a, got, -c.want)
		}
	}
}

// dpkgCompare asks dpkg --compare-versions for the order of a and b.
func dpkgCompare(t *testing.T, a, b string) int {
	t.Helper()
	for _, rel := range []struct {
		op   string
		sign int
	}{{"lt", -1}, {"eq", 0}} {
		err := exec.Command("dpkg", "--compare-versions", a, rel.op, b).Run()
		if err == nil {
			return rel.sign
		}
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("dpkg --compare-versions %q %s %q: %v", a, rel.op, b, err)
		}
	}
	return 1
}

// TestCompareDebianAgainstDpkg checks the tricky pairs and 300 random pairs
// of the versions an agent reported on Debian 12 (testdata, the <VERSION>
// elements of a FusionInventory inventory of this machine) against the real
// dpkg --compare-versions.
func TestCompareDebianAgainstDpkg(t *testing.T) {
	lab.Need(t, "dpkg --compare-versions as the reference of Debian's ordering", "dpkg")
	type pair struct{ a, b string }
	var pairs []pair
	for _, c := range debianCases() {
		if c.a == "" || c.b == "" {
			continue // dpkg refuses an empty version
		}
		pairs = append(pairs, pair{c.a, c.b})
	}
	versions := readLines(t, "testdata/debian_versions.txt")
	if len(versions) < 100 {
		t.Fatalf("testdata/debian_versions.txt holds %d versions, want hundreds", len(versions))
	}
	rng := rand.New(rand.NewPCG(21, 1))
	for range 300 {
		a := versions[rng.IntN(len(versions))]
		b := versions[rng.IntN(len(versions))]
		if rng.IntN(4) == 0 {
			// Near misses: the same version with a changed tail.
			b = a + []string{"~1", "+b1", "a", ".0", "-1"}[rng.IntN(5)]
		}
		pairs = append(pairs, pair{a, b})
	}
	for _, p := range pairs {
		want := dpkgCompare(t, p.a, p.b)
		if got := CompareDebian(p.a, p.b); got != want {
			t.Errorf("CompareDebian(%q, %q) = %d, dpkg says %d", p.a, p.b, got, want)
		}
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRpmvercmp runs rpm's own test table: tests/rpmvercmp.at of
// rpm-software-management/rpm (the RPMVERCMP lines, with the caret cases of
// rpm 4.15 and later), every case in both directions.
func TestRpmvercmp(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0}, {"1.0", "2.0", -1}, {"2.0", "1.0", 1},
		{"2.0.1", "2.0.1", 0}, {"2.0", "2.0.1", -1}, {"2.0.1", "2.0", 1},
		{"2.0.1a", "2.0.1a", 0}, {"2.0.1a", "2.0.1", 1}, {"2.0.1", "2.0.1a", -1},
		{"5.5p1", "5.5p1", 0}, {"5.5p1", "5.5p2", -1}, {"5.5p2", "5.5p1", 1},
		{"5.5p10", "5.5p10", 0}, {"5.5p1", "5.5p10", -1}, {"5.5p10", "5.5p1", 1},
		{"10xyz", "10.1xyz", -1}, {"10.1xyz", "10xyz", 1},
		{"xyz10", "xyz10", 0}, {"xyz10", "xyz10.1", -1}, {"xyz10.1", "xyz10", 1},
		{"xyz.4", "xyz.4", 0}, {"xyz.4", "8", -1}, {"8", "xyz.4", 1}, {"xyz.4", "2", -1}, {"2", "xyz.4", 1},
		{"5.5p2", "5.6p1", -1}, {"5.6p1", "5.5p2", 1},
		{"5.6p1", "6.5p1", -1}, {"6.5p1", "5.6p1", 1},
		{"6.0.rc1", "6.0", 1}, {"6.0", "6.0.rc1", -1},
		{"10b2", "10a1", 1}, {"10a2", "10b2", -1},
		{"1.0aa", "1.0aa", 0}, {"1.0a", "1.0aa", -1}, {"1.0aa", "1.0a", 1},
		{"10.0001", "10.0001", 0}, {"10.0001", "10.1", 0}, {"10.1", "10.0001", 0},
		{"10.0001", "10.0039", -1}, {"10.0039", "10.0001", 1},
		{"4.999.9", "5.0", -1}, {"5.0", "4.999.9", 1},
		{"20101121", "20101121", 0}, {"20101121", "20101122", -1}, {"20101122", "20101121", 1},
		{"2_0", "2_0", 0}, {"2.0", "2_0", 0}, {"2_0", "2.0", 0},
		// RhBug:178798
		{"a", "a", 0}, {"a+", "a+", 0}, {"a+", "a_", 0}, {"a_", "a+", 0},
		{"+a", "+a", 0}, {"+a", "_a", 0}, {"_a", "+a", 0},
		{"+_", "+_", 0}, {"_+", "+_", 0}, {"_+", "_+", 0}, {"+", "_", 0}, {"_", "+", 0},
		// tilde
		{"1.0~rc1", "1.0~rc1", 0}, {"1.0~rc1", "1.0", -1}, {"1.0", "1.0~rc1", 1},
		{"1.0~rc1", "1.0~rc2", -1}, {"1.0~rc2", "1.0~rc1", 1},
		{"1.0~rc1~git123", "1.0~rc1~git123", 0}, {"1.0~rc1~git123", "1.0~rc1", -1}, {"1.0~rc1", "1.0~rc1~git123", 1},
		// caret
		{"1.0^", "1.0^", 0}, {"1.0^", "1.0", 1}, {"1.0", "1.0^", -1},
		{"1.0^git1", "1.0^git1", 0}, {"1.0^git1", "1.0", 1}, {"1.0", "1.0^git1", -1},
		{"1.0^git1", "1.0^git2", -1}, {"1.0^git2", "1.0^git1", 1},
		{"1.0^git1", "1.01", -1}, {"1.01", "1.0^git1", 1},
		{"1.0^20160101", "1.0^20160101", 0}, {"1.0^20160101", "1.0.1", -1}, {"1.0.1", "1.0^20160101", 1},
		{"1.0^20160101^git1", "1.0^20160101^git1", 0},
		{"1.0^20160102", "1.0^20160101^git1", 1}, {"1.0^20160101^git1", "1.0^20160102", -1},
		// tilde and caret
		{"1.0~rc1^git1", "1.0~rc1^git1", 0}, {"1.0~rc1^git1", "1.0~rc1", 1}, {"1.0~rc1", "1.0~rc1^git1", -1},
		{"1.0^git1~pre", "1.0^git1~pre", 0}, {"1.0^git1", "1.0^git1~pre", 1}, {"1.0^git1~pre", "1.0^git1", -1},
	}
	for _, c := range cases {
		if got := Rpmvercmp(c.a, c.b); got != c.want {
			t.Errorf("Rpmvercmp(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestCompareRPM(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"1:1.0-1", "2.0-1", 1},
		{"0:1.0-1", "1.0-1", 0},
		{"3.0.7-25.el9", "3.0.7-27.el9", -1},
		{"3.0.7-27.el9_5", "3.0.7-27.el9", 1},
		{"1.0-1", "1.0", 0}, // a missing release is not compared
		{"1.0-1.fc40", "1.0-2.fc40", -1},
		{"2.9.14-1.el9", "2.9.14", 0},
		{"1.1.1k-12.el8_9", "1.1.1k-9.el8_7", 1},
	}
	for _, c := range cases {
		if got := CompareRPM(c.a, c.b); got != c.want {
			t.Errorf("CompareRPM(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := CompareRPM(c.b, c.a); got != -c.want {
			t.Errorf("CompareRPM(%q, %q) = %d, want %d", c.b, c.a, got, -c.want)
		}
	}
}

func TestCompareByManager(t *testing.T) {
	// "1_0" against "1.0" tells the rules apart: RPM skips both separators
	// (equal), Debian orders "_" after "." (newer).
	cases := []struct {
		manager, a, b string
		want          int
	}{
		{"dpkg", "1.0-1", "1.0-1.el9", -1},
		{"rpm", "1.0-1", "1.0-1.el9", -1},
		{"dpkg", "1_0", "1.0", 1},
		{"rpm", "1_0", "1.0", 0},
		{"dnf", "1_0", "1.0", 0},
		{"yum", "1_0", "1.0", 0},
		{"zypper", "1_0", "1.0", 0},
		{"RPM", "1_0", "1.0", 0},
		{"apt", "1_0", "1.0", 1},
		{"apk", "1_0", "1.0", 1},
		{"", "1_0", "1.0", 1},
	}
	for _, c := range cases {
		if got := Compare(c.manager, c.a, c.b); got != c.want {
			t.Errorf("Compare(%q, %q, %q) = %d, want %d", c.manager, c.a, c.b, got, c.want)
		}
	}
}

func FuzzCompareDebian(f *testing.F) {
	for _, c := range debianCases() {
		f.Add(c.a, c.b)
	}
	f.Add("1:2~a-b~", "1:2~a-b")
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, ba := CompareDebian(a, b), CompareDebian(b, a)
		if ab != -ba {
			t.Fatalf("CompareDebian(%q, %q) = %d but CompareDebian(%q, %q) = %d", a, b, ab, b, a, ba)
		}
		if ab < -1 || ab > 1 {
			t.Fatalf("CompareDebian(%q, %q) = %d, want -1, 0 or 1", a, b, ab)
		}
		if CompareDebian(a, a) != 0 {
			t.Fatalf("CompareDebian(%q, %q) != 0", a, a)
		}
	})
}

func FuzzCompareRPM(f *testing.F) {
	f.Add("1.0~rc1^git1", "1.0~rc1")
	f.Add("1:1.0-1", "1.0")
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, ba := CompareRPM(a, b), CompareRPM(b, a)
		if ab != -ba {
			t.Fatalf("CompareRPM(%q, %q) = %d but CompareRPM(%q, %q) = %d", a, b, ab, b, a, ba)
		}
		if CompareRPM(a, a) != 0 {
			t.Fatalf("CompareRPM(%q, %q) != 0", a, a)
		}
	})
}
