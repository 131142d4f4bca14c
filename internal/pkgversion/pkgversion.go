// Package pkgversion orders installed-package versions the way the package
// managers that installed them do: Debian's (dpkg, apt) by Debian policy
// §5.6.12, RPM's (rpm, dnf, yum, zypper) by rpmvercmp. It is pure: no
// database, no I/O; every input is accepted (a malformed version still
// orders, deterministically, and never panics).
//
// The rules, as each tool implements them:
//
//   - Debian: [epoch:]upstream[-revision]. Epochs compare as numbers (none
//     is 0), then upstream, then revision (none is "0"), each by dpkg's
//     verrevcmp: alternately the longest non-digit prefix, character by
//     character with ~ before everything (even the end), then letters, then
//     the end, then other characters; and the longest digit prefix, as a
//     number.
//   - RPM: [epoch:]version[-release], by rpm's rpmverCmp: epochs, versions,
//     and releases only when both have one, each by rpmvercmp: separators
//     (anything but ASCII letters, digits, ~ and ^) are skipped; ~ sorts
//     before everything, ^ after the end but before anything else; a digit
//     segment beats a letter segment, digit segments compare as numbers,
//     letter segments as bytes; the version with segments left over is the
//     newer.
package pkgversion

import "strings"

// Compare orders a and b by the rules of manager, the packages.manager fact
// of the CI that has them: dpkg, apt and deb use Debian's rules; rpm, dnf,
// yum and zypper RPM's; any other (apk, pacman, none) Debian's. It returns
// -1, 0 or 1 as a sorts before, equal to or after b.
func Compare(manager, a, b string) int {
	if IsRPM(manager) {
		return CompareRPM(a, b)
	}
	return CompareDebian(a, b)
}

// IsRPM reports whether manager orders versions by RPM's rules.
func IsRPM(manager string) bool {
	switch strings.ToLower(strings.TrimSpace(manager)) {
	case "rpm", "dnf", "yum", "zypper":
		return true
	}
	return false
}

// CompareDebian orders two Debian versions as dpkg --compare-versions does.
func CompareDebian(a, b string) int {
	ae, av, ar := splitDebian(a)
	be, bv, br := splitDebian(b)
	if c := compareNumber(ae, be); c != 0 {
		return c
	}
	if c := verrevcmp(av, bv); c != 0 {
		return c
	}
	return verrevcmp(ar, br)
}

// splitDebian splits [epoch:]upstream[-revision]. An epoch that is not all
// digits is no epoch (the colon stays in the upstream version).
func splitDebian(v string) (epoch, upstream, revision string) {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, ':'); i >= 0 && allDigits(v[:i]) {
		epoch, v = v[:i], v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

// debOrder is dpkg's order of a non-digit character (0 is the end).
func debOrder(c byte) int {
	switch {
	case isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	case c == '~':
		return -1
	case c != 0:
		return int(c) + 256
	}
	return 0
}

// verrevcmp is dpkg's comparison of an upstream version or a revision.
func verrevcmp(a, b string) int {
	at := func(s string, i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := debOrder(at(a, i)), debOrder(at(b, j))
			if ac != bc {
				return sign(ac - bc)
			}
			// Equal orders: both past the end, or (a NUL byte, which
			// dpkg's C strings never hold) a NUL against the end.
			if i < len(a) {
				i++
			}
			if j < len(b) {
				j++
			}
		}
		si := i
		for i < len(a) && isDigit(a[i]) {
			i++
		}
		sj := j
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		if c := compareNumber(a[si:i], b[sj:j]); c != 0 {
			return c
		}
	}
	return 0
}

// CompareRPM orders two RPM versions ([epoch:]version[-release]) as rpm's
// rpmverCmp does.
func CompareRPM(a, b string) int {
	ae, av, ar, aHasRel := splitRPM(a)
	be, bv, br, bHasRel := splitRPM(b)
	if c := compareNumber(ae, be); c != 0 {
		return c
	}
	if c := Rpmvercmp(av, bv); c != 0 {
		return c
	}
	if aHasRel && bHasRel {
		return Rpmvercmp(ar, br)
	}
	return 0
}

func splitRPM(v string) (epoch, version, release string, hasRelease bool) {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, ':'); i >= 0 && allDigits(v[:i]) {
		epoch, v = v[:i], v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:], true
	}
	return epoch, v, "", false
}

// Rpmvercmp compares two version (or release) strings as rpm's rpmvercmp
// does, without epochs or releases.
func Rpmvercmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	sep := func(c byte) bool { return !isAlpha(c) && !isDigit(c) && c != '~' && c != '^' }
	for i < len(a) || j < len(b) {
		for i < len(a) && sep(a[i]) {
			i++
		}
		for j < len(b) && sep(b[j]) {
			j++
		}
		ca, cb := byte(0), byte(0)
		if i < len(a) {
			ca = a[i]
		}
		if j < len(b) {
			cb = b[j]
		}
		// ~ sorts before everything, the end included.
		if ca == '~' || cb == '~' {
			if ca != '~' {
				return 1
			}
			if cb != '~' {
				return -1
			}
			i++
			j++
			continue
		}
		// ^ sorts after the end but before anything else.
		if ca == '^' || cb == '^' {
			if ca == 0 {
				return -1
			}
			if cb == 0 {
				return 1
			}
			if ca != '^' {
				return 1
			}
			if cb != '^' {
				return -1
			}
			i++
			j++
			continue
		}
		if ca == 0 || cb == 0 {
			break
		}
		si, sj := i, j
		num := isDigit(ca)
		class := isAlpha
		if num {
			class = isDigit
		}
		for i < len(a) && class(a[i]) {
			i++
		}
		for j < len(b) && class(b[j]) {
			j++
		}
		if sj == j {
			// Different kinds of segment: a number is newer than letters.
			if num {
				return 1
			}
			return -1
		}
		var c int
		if num {
			c = compareNumber(a[si:i], b[sj:j])
		} else {
			c = strings.Compare(a[si:i], b[sj:j])
		}
		if c != 0 {
			return c
		}
	}
	switch {
	case i >= len(a) && j >= len(b):
		return 0
	case i >= len(a):
		return -1
	}
	return 1
}

// compareNumber compares two strings of decimal digits as numbers of any
// length (an empty string is 0).
func compareNumber(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return strings.Compare(a, b)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
