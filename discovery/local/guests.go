package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/internal/ident"
)

// Guest is a virtual machine or container this machine hosts.
type Guest struct {
	// Type is "libvirt", "docker", "podman" or "lxc".
	Type string
	Name string
	// UUID is the libvirt domain UUID (the guest's SMBIOS product UUID);
	// containers have none.
	UUID string
	// VCPUs and MemoryBytes are the guest's allotment when known, else 0.
	VCPUs       int
	MemoryBytes uint64
}

// Limits on the guests read from one machine.
const (
	maxGuests      = 10000
	dockerTimeout  = 10 * time.Second
	maxDockerBytes = 32 << 20
)

// readGuests lists the hosted guests of every kind this machine has the
// tools or sockets for; a kind that is absent is skipped silently, one
// that fails says so through warn.
func readGuests(ctx context.Context, warn func(string)) []Guest {
	var out []Guest
	if path, err := exec.LookPath("virsh"); err == nil {
		gs, err := readLibvirt(ctx, path)
		if err != nil {
			warn(fmt.Sprintf("libvirt guests: %v", err))
		}
		out = append(out, gs...)
	}
	for _, s := range containerSockets() {
		if _, err := os.Stat(s.path); err != nil {
			continue
		}
		gs, err := ReadDockerContainers(ctx, s.path, s.kind)
		if err != nil {
			warn(fmt.Sprintf("%s containers: %v", s.kind, err))
		}
		out = append(out, gs...)
	}
	gs, err := ReadLXC(hostPath("HOST_VAR", "/var", "lib", "lxc"))
	if err != nil {
		warn(fmt.Sprintf("lxc containers: %v", err))
	}
	out = append(out, gs...)
	if len(out) > maxGuests {
		out = out[:maxGuests]
	}
	return out
}

type containerSocket struct{ path, kind string }

// containerSockets are the Docker Engine API sockets to ask: DOCKER_HOST
// when it names a unix socket, else Docker's default; and Podman's
// system socket, which speaks the same API.
func containerSockets() []containerSocket {
	docker := "/var/run/docker.sock"
	if h := os.Getenv("DOCKER_HOST"); strings.HasPrefix(h, "unix://") {
		docker = strings.TrimPrefix(h, "unix://")
	} else if h != "" {
		docker = "" // a TCP Docker host is another machine's
	}
	var out []containerSocket
	if docker != "" {
		out = append(out, containerSocket{docker, "docker"})
	}
	return append(out, containerSocket{"/run/podman/podman.sock", "podman"})
}

// dockerContainer is one entry of GET /containers/json.
type dockerContainer struct {
	ID    string   `json:"Id"`
	Names []string `json:"Names"`
}

// ReadDockerContainers lists every container, running or not, through the
// Docker Engine API (GET /containers/json?all=1) on the unix socket at
// socket; kind names the engine ("docker", "podman"). The name is the
// container's first name without its "/".
func ReadDockerContainers(ctx context.Context, socket, kind string) ([]Guest, error) {
	ctx, cancel := context.WithTimeout(ctx, dockerTimeout)
	defer cancel()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+kind+"/containers/json?all=1", nil)
	if err != nil {
		return nil, fmt.Errorf("building the request: %w", err)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET /containers/json on %s: %w", socket, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDockerBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading /containers/json on %s: %w", socket, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /containers/json on %s: %s: %s", socket, resp.Status, strings.TrimSpace(string(body[:min(len(body), 200)])))
	}
	if len(body) > maxDockerBytes {
		return nil, fmt.Errorf("/containers/json on %s: more than %d bytes", socket, maxDockerBytes)
	}
	return ParseDockerContainers(body, kind)
}

// ParseDockerContainers reads the answer of GET /containers/json.
func ParseDockerContainers(body []byte, kind string) ([]Guest, error) {
	var cs []dockerContainer
	if err := json.Unmarshal(body, &cs); err != nil {
		return nil, fmt.Errorf("decoding /containers/json: %w", err)
	}
	var out []Guest
	for _, c := range cs {
		name := ""
		for _, n := range c.Names {
			if n = strings.TrimPrefix(strings.TrimSpace(n), "/"); n != "" && !strings.Contains(n, "/") {
				name = n
				break
			}
		}
		if name == "" {
			name = c.ID
			if len(name) > 12 {
				name = name[:12]
			}
		}
		if name == "" {
			continue
		}
		out = append(out, Guest{Type: kind, Name: name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// readLibvirt lists libvirt's domains with `virsh list --all --uuid
// --name`, then each one's vCPUs and memory with `virsh dominfo`.
func readLibvirt(ctx context.Context, virsh string) ([]Guest, error) {
	out, err := runCommand(ctx, virsh, "list", "--all", "--uuid", "--name")
	if err != nil {
		return nil, err
	}
	gs := ParseVirshList(out)
	var errs []error
	for i := range gs {
		ref := gs[i].UUID
		if ref == "" {
			ref = gs[i].Name
		}
		info, err := runCommand(ctx, virsh, "dominfo", ref)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		gs[i].VCPUs, gs[i].MemoryBytes = ParseVirshDominfo(info)
	}
	return gs, errors.Join(errs...)
}

// ParseVirshList reads `virsh list --all --uuid --name`: one domain a line,
// its UUID then its name (a libvirt too old to print both prints one).
func ParseVirshList(b []byte) []Guest {
	var out []Guest
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		g := Guest{Type: "libvirt"}
		if u, err := ident.Normalize(ident.UUID, f[0]); err == nil && len(f[0]) == 36 {
			g.UUID = u
			f = f[1:]
		}
		g.Name = strings.Join(f, " ")
		if g.Name == "" {
			g.Name = g.UUID
		}
		if g.Name != "" {
			out = append(out, g)
		}
	}
	return out
}

// ParseVirshDominfo reads "CPU(s):" and "Max memory:" (in KiB) of `virsh
// dominfo`.
func ParseVirshDominfo(b []byte) (vcpus int, memBytes uint64) {
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		switch strings.TrimSpace(k) {
		case "CPU(s)":
			if n, err := strconv.Atoi(f[0]); err == nil && n > 0 {
				vcpus = n
			}
		case "Max memory":
			n, err := strconv.ParseUint(f[0], 10, 64)
			if err == nil && (len(f) < 2 || f[1] == "KiB") && n < 1<<53 {
				memBytes = n << 10
			}
		}
	}
	return vcpus, memBytes
}

// ReadLXC lists the containers of an LXC directory (/var/lib/lxc): every
// subdirectory with a config file, with the memory limit and CPU set the
// config gives. A missing directory is no error.
func ReadLXC(dir string) ([]Guest, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	var out []Guest
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), "config"))
		if err != nil {
			continue
		}
		g := Guest{Type: "lxc", Name: e.Name()}
		g.VCPUs, g.MemoryBytes = ParseLXCConfig(b)
		out = append(out, g)
	}
	return out, nil
}

// ParseLXCConfig reads the CPU set (lxc.cgroup2.cpuset.cpus or
// lxc.cgroup.cpuset.cpus, as a count of CPUs) and the memory limit
// (lxc.cgroup2.memory.max or lxc.cgroup.memory.limit_in_bytes, with an
// optional K, M or G suffix) of an LXC container's config.
func ParseLXCConfig(b []byte) (vcpus int, memBytes uint64) {
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "lxc.cgroup2.cpuset.cpus", "lxc.cgroup.cpuset.cpus":
			vcpus = cpuSetSize(v)
		case "lxc.cgroup2.memory.max", "lxc.cgroup.memory.limit_in_bytes":
			memBytes = byteSize(v)
		}
	}
	return vcpus, memBytes
}

// cpuSetSize counts the CPUs of a cpuset list such as "0-3,8".
func cpuSetSize(s string) int {
	n := 0
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return 0
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a || b-a > 1<<16 {
				return 0
			}
		}
		n += b - a + 1
	}
	return n
}

// byteSize reads "536870912", "512M", "2G" or "1024K"; 0 when it is none
// ("max").
func byteSize(s string) uint64 {
	mult := uint64(1)
	switch {
	case strings.HasSuffix(s, "K"), strings.HasSuffix(s, "k"):
		mult = 1 << 10
	case strings.HasSuffix(s, "M"), strings.HasSuffix(s, "m"):
		mult = 1 << 20
	case strings.HasSuffix(s, "G"), strings.HasSuffix(s, "g"):
		mult = 1 << 30
	}
	if mult > 1 {
		s = s[:len(s)-1]
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > (1<<62)/mult {
		return 0
	}
	return n * mult
}
