package nmap

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// CompletePrefix is the fact prefix an nmap observation reports in full:
// the open ports. A recorded "port." fact the scan lacks has closed (or was
// outside the scanned port list; scan the same ports every time).
const CompletePrefix = "port."

// maxUnix is the first second of year 10000, which a time.Time can hold but
// not marshal as JSON; any later time is an error.
const maxUnix = 253402300800

// Parse reads nmap XML output ("nmap -oX") from r and returns one
// observation per host whose status is "up", in document order. Hosts that
// are down are skipped. name is the input's name for error messages, such as
// the file path.
//
// The result says honestly whether the scan is complete, so that a scan
// that went wrong never reads as "these hosts have gone":
//   - a scan nmap itself reports as failed (<finished exit="error"
//     errormsg="...">, written for instance when a --script name matches
//     nothing) is an error quoting nmap's message;
//   - a scan of no address at all (<hosts total="0">: every target name
//     failed to resolve, or none was given) is an error;
//   - a host without a <status> (nmap does not say whether it is up) is a
//     host error, keyed by its first address, and makes the result
//     partial.
//
// Each observation has:
//   - Key "host <address>", the host's first IP address (normalised);
//   - Kind from the device types nmap reports (<osclass type="..."> of the
//     most accurate OS match, else <service devicetype="..."> of the open
//     ports): SERVER for "general purpose", NETWORK_DEVICE for "router",
//     "switch", "firewall", "WAP" and the like, LOAD_BALANCER, STORAGE for
//     "storage-misc"; SERVER when nmap reports no device type. Evidence that
//     disagrees or names a device Cairn has no kind for ("printer",
//     "phone", ...) keeps SERVER and adds the fact "kind.evidence" =
//     "unsure: ..." saying why. The table is deviceKind's, the order
//     kindOf's (kind.go);
//   - Name: the first host name nmap reports (user-supplied or PTR), else
//     the address;
//   - Identifiers: every IPv4/IPv6 address (IP) and MAC address (MAC), and
//     for every valid host name, a dotted name as FQDN plus its first label
//     as HOSTNAME, an undotted one as HOSTNAME; normalised, without
//     duplicates. Host names that are not valid DNS names (PTR records may
//     hold anything) are not identifiers;
//   - Fields "hostname" (the short name of the first valid host name) and
//     "fqdn" (the first valid dotted name), when there are such names;
//   - Facts "mac.vendor" (the MAC address's vendor), "os.name" (the OS
//     match of highest accuracy, the first on a tie), "os.family" and
//     "os.vendor" (that match's first osclass), and for every open port
//     "port.<protocol>.<portid>" = service name, product, version and
//     extra information joined by single spaces ("unknown" when nmap
//     reports none of them). Ports in any other state ("closed",
//     "filtered", "open|filtered") are not facts;
//   - CompleteFacts ["port."]: the scan reports open ports in full;
//   - SeenAt: the host's endtime, else the scan's finish time (runstats),
//     in UTC; zero when the file records neither.
//
// A host listed twice (nmap scans a target once per time it is named) is
// reported once, at its first position, with the identifiers and facts of
// both; the later scan wins where they disagree.
//
// Parse decodes one <host> element at a time, so memory grows with the
// observations, not with the XML. Malformed input is an error that names
// the element and its line; input whose root element is not <nmaprun> is
// rejected.
func Parse(r io.Reader, name string) (*discovery.Result, error) {
	res, err := parse(r)
	if err != nil {
		return nil, fmt.Errorf("parsing nmap XML %s: %w", name, err)
	}
	return res, nil
}

// ErrScanFailed is the error of a scan that nmap reports as failed.
var ErrScanFailed = errors.New("the nmap scan failed")

// ErrNothingScanned is the error of a scan of no address at all.
var ErrNothingScanned = errors.New("the nmap scan scanned nothing")

func parse(r io.Reader) (*discovery.Result, error) {
	d := xml.NewDecoder(r)
	if err := findRoot(d); err != nil {
		return nil, err
	}
	var (
		out      []discovery.Observation
		index    = map[string]int{} // Key → position in out
		finished time.Time
		hosts    int // <host> elements seen, for error messages
		unknown  map[string]string
		stats    xRunstats
		sawStats bool
	)
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			where := "before the first host"
			if hosts > 0 {
				where = fmt.Sprintf("after host %d", hosts)
			}
			return nil, fmt.Errorf("<nmaprun> not closed (truncated scan?) %s: %w", where, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			line, _ := d.InputPos()
			switch t.Name.Local {
			case "host":
				hosts++
				var h xHost
				if err := d.DecodeElement(&h, &t); err != nil {
					return nil, fmt.Errorf("host %d (line %d): %w", hosts, line, err)
				}
				if h.Status == nil {
					// nmap does not say whether the host is up: the
					// scan cannot speak for it.
					if unknown == nil {
						unknown = map[string]string{}
					}
					unknown[h.label(hosts)] = "nmap reports no <status> for the host: not known whether it is up"
					continue
				}
				o, ok, err := h.observation()
				if err != nil {
					return nil, fmt.Errorf("host %d (line %d): %w", hosts, line, err)
				}
				if !ok {
					continue
				}
				if i, dup := index[o.Key]; dup {
					merge(&out[i], &o)
					continue
				}
				index[o.Key] = len(out)
				out = append(out, o)
			case "runstats":
				var rs xRunstats
				if err := d.DecodeElement(&rs, &t); err != nil {
					return nil, fmt.Errorf("runstats (line %d): %w", line, err)
				}
				finished, err = unixTime(rs.Finished.Time)
				if err != nil {
					return nil, fmt.Errorf("runstats (line %d): <finished time=%q>: %w", line, textclip.Message(rs.Finished.Time), err)
				}
				stats, sawStats = rs, true
			default:
				if err := d.Skip(); err != nil {
					return nil, fmt.Errorf("<%s> (line %d): %w", textclip.Message(t.Name.Local), line, err)
				}
			}
		case xml.EndElement:
			// Only </nmaprun> can end here: the decoder matches tags and
			// every child element was consumed whole.
			if err := checkTrailer(d); err != nil {
				return nil, err
			}
			if sawStats {
				if err := stats.check(); err != nil {
					return nil, err
				}
			}
			for i := range out {
				if out[i].SeenAt.IsZero() {
					out[i].SeenAt = finished
				}
			}
			return &discovery.Result{Observations: out, Partial: len(unknown) > 0, HostErrors: unknown}, nil
		}
	}
}

// findRoot reads up to the root element and checks that it is <nmaprun>.
func findRoot(d *xml.Decoder) error {
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return errors.New("no <nmaprun> element: empty input or not XML")
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "nmaprun" {
				line, _ := d.InputPos()
				return fmt.Errorf("root element is <%s> (line %d), want <nmaprun>: not nmap XML output", textclip.Message(t.Name.Local), line)
			}
			return nil
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) > 0 {
				line, _ := d.InputPos()
				return fmt.Errorf("text before the root element (line %d): not XML", line)
			}
		}
	}
}

// checkTrailer rejects a second root element or text after </nmaprun>.
func checkTrailer(d *xml.Decoder) error {
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("after </nmaprun>: %w", err)
		}
		line, _ := d.InputPos()
		switch t := tok.(type) {
		case xml.StartElement:
			return fmt.Errorf("element <%s> after </nmaprun> (line %d)", textclip.Message(t.Name.Local), line)
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) > 0 {
				return fmt.Errorf("text after </nmaprun> (line %d)", line)
			}
		}
	}
}

// The subset of nmap's XML (nmap.dtd) that Parse reads.
type (
	xHost struct {
		EndTime string `xml:"endtime,attr"`
		// TimedOut is set when --host-timeout cut the host's scan short.
		TimedOut string `xml:"timedout,attr"`
		// Status is nil when the host has no <status> element.
		Status    *xStatus    `xml:"status"`
		Addresses []xAddress  `xml:"address"`
		Hostnames []xHostname `xml:"hostnames>hostname"`
		Ports     []xPort     `xml:"ports>port"`
		OS        xOS         `xml:"os"`
	}
	xStatus struct {
		State string `xml:"state,attr"`
	}
	xAddress struct {
		Addr     string `xml:"addr,attr"`
		AddrType string `xml:"addrtype,attr"`
		Vendor   string `xml:"vendor,attr"`
	}
	xHostname struct {
		Name string `xml:"name,attr"`
		Type string `xml:"type,attr"`
	}
	xPort struct {
		Protocol string    `xml:"protocol,attr"`
		PortID   string    `xml:"portid,attr"`
		State    xStatus   `xml:"state"`
		Service  *xService `xml:"service"`
	}
	xService struct {
		Name      string `xml:"name,attr"`
		Product   string `xml:"product,attr"`
		Version   string `xml:"version,attr"`
		ExtraInfo string `xml:"extrainfo,attr"`
		// DeviceType is the service probe's device type ("router",
		// "printer", ...), written by -sV when the probe names one.
		DeviceType string `xml:"devicetype,attr"`
	}
	xOS struct {
		Matches []xOSMatch `xml:"osmatch"`
		// Classes directly under <os> are the layout of XML output
		// version 1.03 and earlier; later versions nest them in osmatch.
		Classes []xOSClass `xml:"osclass"`
	}
	xOSMatch struct {
		Name     string     `xml:"name,attr"`
		Accuracy string     `xml:"accuracy,attr"`
		Classes  []xOSClass `xml:"osclass"`
	}
	xOSClass struct {
		Type   string `xml:"type,attr"` // device type: "general purpose", "router", ...
		Vendor string `xml:"vendor,attr"`
		Family string `xml:"osfamily,attr"`
	}
	xRunstats struct {
		Finished struct {
			Time     string `xml:"time,attr"`
			Exit     string `xml:"exit,attr"`
			ErrorMsg string `xml:"errormsg,attr"`
		} `xml:"finished"`
		Hosts *struct {
			Total string `xml:"total,attr"`
		} `xml:"hosts"`
	}
)

// check returns ErrScanFailed, with nmap's reason, when nmap reports the
// scan failed, and ErrNothingScanned when it scanned no address at all.
func (rs *xRunstats) check() error {
	if strings.TrimSpace(rs.Finished.Exit) == "error" {
		msg := clean(rs.Finished.ErrorMsg)
		if msg == "" {
			msg = "no reason given"
		}
		return fmt.Errorf("%w: nmap reports exit=\"error\": %s", ErrScanFailed, textclip.BytesMarked(strings.ToValidUTF8(msg, "\uFFFD"), 1000))
	}
	if rs.Hosts != nil && strings.TrimSpace(rs.Hosts.Total) == "0" {
		return fmt.Errorf("%w: nmap scanned no address (<hosts total=\"0\">): no target was given, or none resolved", ErrNothingScanned)
	}
	return nil
}

// label names a host in host errors: its first address, else its position.
func (h *xHost) label(pos int) string {
	for _, a := range h.Addresses {
		if v := strings.TrimSpace(a.Addr); v != "" {
			return textclip.Message(v)
		}
	}
	return fmt.Sprintf("host %d", pos)
}

// observation maps h; ok is false for a host that is not up.
func (h *xHost) observation() (o discovery.Observation, ok bool, err error) {
	if strings.TrimSpace(h.Status.State) != "up" {
		return o, false, nil
	}
	o.Kind = discovery.KindServer
	o.Facts = map[string]string{}
	// A host whose scan timed out (--host-timeout) reports what it found
	// so far, not every open port: it claims nothing in full.
	if h.TimedOut != "true" {
		o.CompleteFacts = []string{CompletePrefix}
	}
	if o.SeenAt, err = unixTime(h.EndTime); err != nil {
		return o, false, fmt.Errorf("endtime %q: %w", textclip.Message(h.EndTime), err)
	}

	var first, firstIP string
	for _, a := range h.Addresses {
		raw := strings.TrimSpace(a.Addr)
		var kind ident.Kind
		switch a.AddrType {
		case "ipv4", "ipv6", "": // nmap.dtd: addrtype defaults to ipv4
			kind = ident.IP
		case "mac":
			kind = ident.MAC
		default:
			return o, false, fmt.Errorf("<address addr=%q addrtype=%q>: unknown addrtype", textclip.Message(a.Addr), textclip.Message(a.AddrType))
		}
		v, err := ident.Normalize(kind, raw)
		if err != nil {
			return o, false, fmt.Errorf("<address addr=%q addrtype=%q>: %w", textclip.Message(a.Addr), a.AddrType, err)
		}
		o.AddIdentifier(kind, v)
		if first == "" {
			first = v
		}
		if kind == ident.IP && firstIP == "" {
			firstIP = v
		}
		if kind == ident.MAC && o.Facts["mac.vendor"] == "" {
			if vendor := clean(a.Vendor); vendor != "" {
				o.Facts["mac.vendor"] = vendor
			}
		}
	}
	if firstIP != "" {
		first = firstIP
	}
	if first == "" {
		return o, false, errors.New("no <address>")
	}
	o.Key = "host " + first
	o.Name = first

	named := false
	for _, hn := range h.Hostnames {
		name := strings.TrimSuffix(strings.TrimSpace(hn.Name), ".")
		if name == "" {
			continue
		}
		if !named {
			o.Name, named = name, true
		}
		o.AddHostName(name)
	}

	classes, err := h.OS.facts(o.Facts)
	if err != nil {
		return o, false, err
	}
	var osTypes, serviceTypes []string
	for _, c := range classes {
		osTypes = append(osTypes, c.Type)
	}

	for i := range h.Ports {
		p := &h.Ports[i]
		key, err := p.factKey()
		if err != nil {
			return o, false, err
		}
		if p.State.State != "open" {
			continue
		}
		o.Facts[key] = p.Service.describe()
		if p.Service != nil {
			serviceTypes = append(serviceTypes, p.Service.DeviceType)
		}
	}
	kind, unsure := kindOf(osTypes, serviceTypes)
	o.Kind = kind
	if unsure != "" {
		o.Facts[KindEvidenceFact] = textclip.BytesMarked(strings.ToValidUTF8(unsure, "\uFFFD"), 1000)
	}
	return o, true, nil
}

// facts sets the os.* facts from the most accurate match and returns that
// match's classes.
func (x *xOS) facts(facts map[string]string) ([]xOSClass, error) {
	best, bestAcc := -1, -1
	for i, m := range x.Matches {
		acc := 0
		if s := strings.TrimSpace(m.Accuracy); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n > 100 {
				return nil, fmt.Errorf("<osmatch name=%q accuracy=%q>: accuracy is not a percentage", textclip.Message(m.Name), textclip.Message(m.Accuracy))
			}
			acc = n
		}
		if clean(m.Name) != "" && acc > bestAcc {
			best, bestAcc = i, acc
		}
	}
	classes := x.Classes
	if best >= 0 {
		m := x.Matches[best]
		facts["os.name"] = clean(m.Name)
		if len(m.Classes) > 0 {
			classes = m.Classes
		}
	}
	if len(classes) > 0 {
		if v := clean(classes[0].Family); v != "" {
			facts["os.family"] = v
		}
		if v := clean(classes[0].Vendor); v != "" {
			facts["os.vendor"] = v
		}
	}
	return classes, nil
}

// factKey returns "port.<protocol>.<portid>", checking both.
func (p *xPort) factKey() (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("<port protocol=%q portid=%q>: %s", textclip.Message(p.Protocol), textclip.Message(p.PortID), why)
	}
	proto := p.Protocol
	if proto == "" {
		return bad("no protocol")
	}
	for i := 0; i < len(proto); i++ {
		if c := proto[i]; c < 'a' || c > 'z' {
			return bad("protocol is not a lower-case word such as tcp, udp, sctp or ip")
		}
	}
	n, err := strconv.ParseUint(p.PortID, 10, 16)
	if err != nil {
		return bad("portid is not a number from 0 to 65535")
	}
	return "port." + proto + "." + strconv.FormatUint(n, 10), nil
}

// describe joins what nmap knows of the service on an open port.
func (s *xService) describe() string {
	if s == nil {
		return "unknown"
	}
	v := clean(s.Name + " " + s.Product + " " + s.Version + " " + s.ExtraInfo)
	if v == "" {
		return "unknown"
	}
	return v
}

// unixTime parses a time in Unix seconds; "" and "0" are no time.
func unixTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, errors.New("not a Unix time in seconds")
	}
	if n >= maxUnix {
		return time.Time{}, errors.New("Unix time after the year 9999")
	}
	if n == 0 {
		return time.Time{}, nil
	}
	return time.Unix(n, 0).UTC(), nil
}

// merge folds a later scan of the same host into o.
func merge(o, later *discovery.Observation) {
	for _, id := range later.Identifiers {
		o.AddIdentifier(id.Kind, id.Value)
	}
	for k, v := range later.Fields {
		o.SetField(k, v)
	}
	for k, v := range later.Facts {
		o.Facts[k] = v
	}
	// The later scan's evidence decides the kind, as it wins elsewhere.
	o.Kind = later.Kind
	if _, ok := later.Facts[KindEvidenceFact]; !ok {
		delete(o.Facts, KindEvidenceFact)
	}
	if o.Name == strings.TrimPrefix(o.Key, "host ") {
		o.Name = later.Name // the first scan had no host name
	}
	if later.SeenAt.After(o.SeenAt) {
		o.SeenAt = later.SeenAt
	}
}

// clean trims s and collapses runs of white space to one space.
func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

// clip shortens a value repeated in an error message.
