package local

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Package is one installed package.
type Package struct {
	Name, Version, Arch string
}

// PCIDevice is one device of /sys/bus/pci/devices, its IDs as lower-case
// hexadecimal without "0x": Vendor and Device 4 digits, Class 4 digits
// (base class and subclass, as lspci shows "[0106]").
type PCIDevice struct {
	Slot, Vendor, Device, Class string
}

// Limits on what the readers take from one machine.
const (
	maxPackages     = 100000
	maxPCIDevices   = 4096
	maxDNSServers   = 16
	commandTimeout  = 30 * time.Second
	maxCommandBytes = 64 << 20
)

// dpkgStatusPath is dpkg's database of package states.
func dpkgStatusPath() string { return hostPath("HOST_VAR", "/var", "lib", "dpkg", "status") }

// readPackages reads the installed packages: dpkg's status file when there
// is one, else rpm's database through `rpm -qa` when rpm is installed. A
// machine with both (rpm installed on Debian, or the reverse) is read by
// its os-release family, else by whichever knows more packages, as the ssh
// source decides. warn gets what could not be read.
func readPackages(ctx context.Context, osRelease map[string]string, warn func(string)) (manager string, pkgs []Package, ok bool) {
	var dpkg, rpm []Package
	var dOK, rOK bool
	if f, err := os.Open(dpkgStatusPath()); err == nil {
		dpkg, err = ParseDpkgStatus(f)
		f.Close()
		if err != nil {
			warn(fmt.Sprintf("dpkg status: %v", err))
		} else {
			dOK = len(dpkg) > 0
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		warn(fmt.Sprintf("dpkg status: %v", err))
	}
	if path, err := exec.LookPath("rpm"); err == nil {
		out, err := runCommand(ctx, path, "-qa", "--qf", `%{NAME}\t%{VERSION}-%{RELEASE}\t%{ARCH}\n`)
		if err != nil {
			warn(fmt.Sprintf("rpm -qa: %v", err))
		} else {
			rpm = ParseRPMList(out)
			rOK = len(rpm) > 0
		}
	}
	switch {
	case dOK && (!rOK || PreferDpkg(osRelease["ID"], osRelease["ID_LIKE"], len(dpkg), len(rpm))):
		return "dpkg", dpkg, true
	case rOK:
		return "rpm", rpm, true
	}
	return "", nil, false
}

// PreferDpkg decides for a machine with both dpkg and rpm, by its OS family
// (os-release's ID and ID_LIKE), else by which knows more packages (nd
// dpkg's, nr rpm's); the ssh source decides the same way.
func PreferDpkg(osID, osIDLike string, nd, nr int) bool {
	fam := " " + osID + " " + osIDLike + " "
	for _, d := range []string{" debian ", " ubuntu "} {
		if strings.Contains(fam, d) {
			return true
		}
	}
	for _, r := range []string{" rhel ", " fedora ", " centos ", " suse ", " opensuse ", " sles ", " amzn ", " mariner ", " azurelinux "} {
		if strings.Contains(fam, r) {
			return false
		}
	}
	return nd >= nr
}

// ParseDpkgStatus reads dpkg's status file (deb822 stanzas): the packages
// whose Status says they are installed ("install ok installed", and "hold
// ok installed": the third word is the package's state), with Package,
// Version and Architecture. Stanzas without a name or version are skipped.
func ParseDpkgStatus(r io.Reader) ([]Package, error) {
	var out []Package
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var p Package
	installed := false
	flush := func() {
		if installed && p.Name != "" && p.Version != "" && len(out) < maxPackages {
			out = append(out, p)
		}
		p, installed = Package{}, false
	}
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // a continuation line (Description, Conffiles)
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "Package":
			p.Name = v
		case "Version":
			p.Version = v
		case "Architecture":
			p.Arch = v
		case "Status":
			f := strings.Fields(v)
			installed = len(f) == 3 && f[2] == "installed"
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading dpkg status: %w", err)
	}
	return out, nil
}

// ParseRPMList reads `rpm -qa --qf '%{NAME}\t%{VERSION}-%{RELEASE}\t%{ARCH}\n'`,
// without the gpg-pubkey pseudo-packages; an arch of "(none)" is none.
func ParseRPMList(b []byte) []Package {
	var out []Package
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Split(strings.TrimRight(l, "\r"), "\t")
		if len(f) < 2 || len(f) > 3 {
			continue
		}
		p := Package{Name: strings.TrimSpace(f[0]), Version: strings.TrimSpace(f[1])}
		if len(f) == 3 {
			p.Arch = strings.TrimSpace(f[2])
		}
		if p.Arch == "(none)" {
			p.Arch = ""
		}
		if p.Name == "" || p.Version == "" || p.Name == "gpg-pubkey" || len(out) >= maxPackages {
			continue
		}
		out = append(out, p)
	}
	return out
}

// PackageFacts returns, per package name, the value of "package.<name>" (its
// versions, sorted, each once, comma-joined: the same value the ssh source
// has always written) and of "package_arch.<name>" (the architecture of
// each installed instance, in the order of the (version, architecture)
// pairs sorted, comma-joined; "" when no instance has one). A package
// installed once per architecture at one version (libc6 amd64 and i386)
// has one version and two architectures; two versions of one architecture
// (two kernels) have two versions and the architecture twice.
func PackageFacts(pkgs []Package) map[string][2]string {
	byName := map[string][]Package{}
	for _, p := range pkgs {
		byName[p.Name] = append(byName[p.Name], p)
	}
	out := make(map[string][2]string, len(byName))
	for name, ps := range byName {
		sort.Slice(ps, func(i, j int) bool {
			if ps[i].Version != ps[j].Version {
				return ps[i].Version < ps[j].Version
			}
			return ps[i].Arch < ps[j].Arch
		})
		var versions, arches []string
		anyArch := false
		for i, p := range ps {
			if i > 0 && p == ps[i-1] {
				continue
			}
			if len(versions) == 0 || versions[len(versions)-1] != p.Version {
				versions = append(versions, p.Version)
			}
			arches = append(arches, p.Arch)
			anyArch = anyArch || p.Arch != ""
		}
		v := [2]string{strings.Join(versions, ",")}
		if anyArch {
			v[1] = strings.Join(arches, ",")
		}
		out[name] = v
	}
	return out
}

// runCommand runs a program (no shell) with a timeout and returns its
// standard output, at most maxCommandBytes.
func runCommand(ctx context.Context, path string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var stdout, stderr limitedBuffer
	stdout.max, stderr.max = maxCommandBytes, 4096
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return nil, fmt.Errorf("%s: %w: %s", filepath.Base(path), err, msg)
		}
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	if stdout.over {
		return nil, fmt.Errorf("%s: more than %d bytes of output", filepath.Base(path), maxCommandBytes)
	}
	return stdout.Bytes(), nil
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room < len(p) {
		b.over = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

// ParseResolvConf returns the nameserver addresses of resolv.conf(5), in
// order, each once; a zone index (fe80::1%eth0) is kept.
func ParseResolvConf(b []byte) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || f[0] != "nameserver" {
			continue
		}
		a, err := netip.ParseAddr(f[1])
		if err != nil || seen[a.String()] || len(out) >= maxDNSServers {
			continue
		}
		seen[a.String()] = true
		out = append(out, a.String())
	}
	return out
}

// readPCI lists /sys/bus/pci/devices.
func readPCI() ([]PCIDevice, bool) {
	dir := sysPath("bus", "pci", "devices")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, false
	}
	var out []PCIDevice
	for _, e := range ents {
		if len(out) >= maxPCIDevices {
			break
		}
		d := PCIDevice{
			Slot:   e.Name(),
			Vendor: hexID(readLine(filepath.Join(dir, e.Name(), "vendor")), 4),
			Device: hexID(readLine(filepath.Join(dir, e.Name(), "device")), 4),
			Class:  hexID(readLine(filepath.Join(dir, e.Name(), "class")), 6),
		}
		if len(d.Class) == 6 {
			d.Class = d.Class[:4]
		}
		if d.Vendor == "" && d.Device == "" {
			continue
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Slot < out[j].Slot })
	return out, true
}

// hexID reads "0x8086" as "8086", zero-padded to digits; "" when it is not
// a hexadecimal number of at most that many digits.
func hexID(s string, digits int) string {
	s = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "0x")
	n, err := strconv.ParseUint(s, 16, 32)
	if err != nil || len(s) > digits {
		return ""
	}
	return fmt.Sprintf("%0*x", digits, n)
}

// readCPUCores counts the physical cores: distinct (package, core) pairs
// of the online CPUs' sysfs topology, else of /proc/cpuinfo.
func readCPUCores() int {
	pairs := map[string]bool{}
	cpus, _ := filepath.Glob(sysPath("devices", "system", "cpu", "cpu[0-9]*"))
	for _, c := range cpus {
		pkg := readLine(filepath.Join(c, "topology", "physical_package_id"))
		core := readLine(filepath.Join(c, "topology", "core_id"))
		if core == "" {
			continue
		}
		if online := readLine(filepath.Join(c, "online")); online == "0" {
			continue
		}
		pairs[pkg+"/"+core] = true
	}
	if len(pairs) > 0 {
		return len(pairs)
	}
	b, err := os.ReadFile(procPath("cpuinfo"))
	if err != nil {
		return 0
	}
	return CPUInfoCores(b)
}

// CPUInfoCores counts the distinct ("physical id", "core id") pairs of
// /proc/cpuinfo; 0 when it has no core ids (most ARM kernels).
func CPUInfoCores(b []byte) int {
	pairs := map[string]bool{}
	phys := ""
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			if strings.TrimSpace(line) == "" {
				phys = ""
			}
			continue
		}
		switch strings.TrimSpace(k) {
		case "physical id":
			phys = strings.TrimSpace(v)
		case "core id":
			pairs[phys+"/"+strings.TrimSpace(v)] = true
		}
	}
	return len(pairs)
}

// ISODate returns a firmware date (MM/DD/YYYY, or already YYYY-MM-DD) as
// YYYY-MM-DD, or s as given when it is neither. Two-digit years (MM/DD/YY,
// old BIOSes) are 19YY from 80 on, else 20YY.
func ISODate(s string) string {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"01/02/2006", "2006-01-02", "1/2/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006-01-02")
		}
	}
	if t, err := time.Parse("01/02/06", s); err == nil {
		y := t.Year() % 100
		if y >= 80 {
			y += 1900
		} else {
			y += 2000
		}
		return time.Date(y, t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Format("2006-01-02")
	}
	return s
}
