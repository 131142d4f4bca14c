package agent

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// Request is an agent's message: <REQUEST> with its QUERY, DEVICEID and,
// for an inventory, CONTENT.
type Request struct {
	// Query is the message's QUERY in upper case: PROLOG, INVENTORY,
	// SNMPQUERY, NETDISCOVERY …
	Query string
	// DeviceID is the agent's DEVICEID, "<hostname>-<date of install>":
	// the same on every message of one installation of the agent.
	DeviceID string
	// Token is the PROLOG's TOKEN, if any (FusionInventory sends a random
	// one, to check the answers of its own HTTP server).
	Token string
	// Content is REQUEST/CONTENT (nil without one): an INVENTORY's
	// sections, an SNMPQUERY's devices.
	Content *Node
}

// Node is one XML element: its name, its character data (trimmed) and its
// child elements in document order. Attributes are not kept: the OCS
// protocol does not use them.
type Node struct {
	Name     string
	Text     string
	Children []Node
}

// Child returns the first child element called name, or nil.
func (n *Node) Child(name string) *Node {
	if n == nil {
		return nil
	}
	for i := range n.Children {
		if n.Children[i].Name == name {
			return &n.Children[i]
		}
	}
	return nil
}

// Get returns the text of the first child element called name, "" when
// there is none.
func (n *Node) Get(name string) string {
	if c := n.Child(name); c != nil {
		return c.Text
	}
	return ""
}

// Limits on a request's XML.
const (
	// maxDepth bounds element nesting (an SNMPQUERY goes 7 deep).
	maxDepth = 32
	// maxDeviceID bounds DEVICEID.
	maxDeviceID = 255
	// clipValue is how much of a bad value an error quotes.
	clipValue = 40
)

// ParseRequest parses an agent's message, <REQUEST>…</REQUEST>, with
// encoding/xml in strict mode: a document type declaration (and with it
// any entity definition) is refused, and only XML's five predefined
// entities are known, so no entity is ever expanded from outside. QUERY is
// required; PROLOG and INVENTORY also need a DEVICEID. The numbers of an
// INVENTORY that Observations reads (HARDWARE/MEMORY, CPUS/CORE,
// MEMORIES/CAPACITY, DRIVES/TOTAL, STORAGES/DISKSIZE …) must be numbers.
//
// An error names the element it is about, such as
// `REQUEST/CONTENT/HARDWARE/MEMORY: "abc" is not a number`, and quotes at
// most a short clipped value.
func ParseRequest(body []byte) (*Request, error) {
	root, err := parseXML(body)
	if err != nil {
		return nil, err
	}
	if root.Name != "REQUEST" {
		return nil, fmt.Errorf("the root element is %q: want REQUEST", clip(root.Name))
	}
	r := &Request{}
	for i := range root.Children {
		c := &root.Children[i]
		switch c.Name {
		case "QUERY":
			if r.Query == "" {
				r.Query = strings.ToUpper(c.Text)
			}
		case "DEVICEID":
			if r.DeviceID == "" {
				r.DeviceID = c.Text
			}
		case "TOKEN":
			if r.Token == "" {
				r.Token = c.Text
			}
		case "CONTENT":
			if r.Content == nil {
				r.Content = c
			}
		}
	}
	if r.Query == "" {
		return nil, errors.New("REQUEST/QUERY: missing (want PROLOG, INVENTORY, SNMPQUERY …)")
	}
	if !word(r.Query) {
		return nil, fmt.Errorf("REQUEST/QUERY: %q is not a query name", clip(r.Query))
	}
	if p := deviceIDProblem(r.DeviceID); p != "" && (r.DeviceID != "" || r.Query == "PROLOG" || r.Query == "INVENTORY") {
		return nil, fmt.Errorf("REQUEST/DEVICEID: %s", p)
	}
	if r.Query == "INVENTORY" {
		if r.Content == nil {
			return nil, errors.New("REQUEST/CONTENT: missing: an INVENTORY carries its content")
		}
		if err := checkNumbers(r.Content); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// parseXML reads body into a tree of elements: by scanXML when it can,
// else by encoding/xml (parseXMLStd).
func parseXML(body []byte) (*Node, error) {
	if root, ok := scanXML(body); ok {
		return root, nil
	}
	return parseXMLStd(body)
}

// parseXMLStd reads body into a tree of elements with encoding/xml.
func parseXMLStd(body []byte) (*Node, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	stack := make([]Node, 0, 8)
	var text []byte
	var root *Node
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("malformed XML: %s", xmlProblem(err))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil {
				return nil, fmt.Errorf("malformed XML: a second root element %q after REQUEST", clip(t.Name.Local))
			}
			if len(stack) >= maxDepth {
				return nil, fmt.Errorf("%s: elements nested more than %d deep", path(stack), maxDepth)
			}
			if len(stack) > 0 {
				// Text beside child elements (white space) is no value.
				text = text[:0]
			}
			stack = append(stack, Node{Name: t.Name.Local})
		case xml.EndElement:
			if len(stack) == 0 {
				return nil, fmt.Errorf("malformed XML: unexpected end element %q", clip(t.Name.Local))
			}
			n := stack[len(stack)-1]
			if t.Name.Local != n.Name || t.Name.Space != "" {
				return nil, fmt.Errorf("malformed XML: %s: element closed by %q", path(stack), clip(t.Name.Local))
			}
			if len(n.Children) == 0 {
				n.Text = string(bytes.TrimSpace(text))
			}
			text = text[:0]
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				root = &n
				continue
			}
			p := &stack[len(stack)-1]
			p.Children = append(p.Children, n)
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, errors.New("malformed XML: text outside the root element")
				}
				continue
			}
			text = append(text, t...)
		case xml.Directive:
			return nil, errors.New("malformed XML: a DOCTYPE or other declaration is not accepted (no DTDs, no entities)")
		case xml.ProcInst, xml.Comment:
		}
	}
	if len(stack) > 0 {
		return nil, fmt.Errorf("malformed XML: %s is not closed (truncated document)", path(stack))
	}
	if root == nil {
		return nil, errors.New("malformed XML: no root element")
	}
	return root, nil
}

// xmlProblem is encoding/xml's error without its "XML syntax error" prefix
// and with any quoted input clipped.
func xmlProblem(err error) string {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("line %d: %s", se.Line, textclip.Bytes(se.Msg, 120))
	}
	return textclip.Bytes(err.Error(), 160)
}

// path names the open elements, "REQUEST/CONTENT/HARDWARE".
func path(stack []Node) string {
	names := make([]string, len(stack))
	for i := range stack {
		names[i] = clip(stack[i].Name)
	}
	return strings.Join(names, "/")
}

// clip shortens a value quoted in an error.
func clip(s string) string { return textclip.Runes(s, clipValue) }

// word reports whether s is 1 to 32 ASCII letters, digits or '_'.
func word(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// deviceIDProblem says what is wrong with a DEVICEID, "" when nothing is.
func deviceIDProblem(id string) string {
	switch {
	case id == "":
		return "missing"
	case len(id) > maxDeviceID:
		return fmt.Sprintf("longer than %d bytes", maxDeviceID)
	case !utf8.ValidString(id):
		return "not valid UTF-8"
	case strings.ContainsFunc(id, unicode.IsControl):
		return fmt.Sprintf("%q contains control characters", clip(id))
	}
	return ""
}

// numbers are the elements of an INVENTORY's sections that must be
// numbers (decimals allowed), by section.
var numbers = map[string][]string{
	"HARDWARE":        {"MEMORY"},
	"CPUS":            {"CORE", "THREAD", "CORES", "LOGICAL_CPUS"},
	"MEMORIES":        {"CAPACITY"},
	"DRIVES":          {"TOTAL"},
	"STORAGES":        {"DISKSIZE"},
	"VIRTUALMACHINES": {"VCPU"},
}

// checkNumbers checks the numbers of an INVENTORY's content.
func checkNumbers(content *Node) error {
	for i := range content.Children {
		sec := &content.Children[i]
		for _, name := range numbers[sec.Name] {
			v := sec.Get(name)
			if v == "" {
				continue
			}
			if _, ok := parseNumber(v); !ok {
				return fmt.Errorf("REQUEST/CONTENT/%s/%s: %q is not a number", sec.Name, name, clip(v))
			}
		}
	}
	return nil
}

// parseNumber parses a non-negative decimal number such as "24105" or
// "274877.906944".
func parseNumber(s string) (float64, bool) {
	if s == "" || len(s) > 32 {
		return 0, false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
		case c == '.' && !dot && i > 0:
			dot = true
		default:
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// PrologReply is the answer to a PROLOG: send an inventory, and come back
// in freqHours hours (at least 1).
func PrologReply(freqHours int) []byte {
	if freqHours < 1 {
		freqHours = 1
	}
	return []byte(`<?xml version="1.0" encoding="UTF-8" ?>` + "\n" +
		`<REPLY><RESPONSE>SEND</RESPONSE><PROLOG_FREQ>` + strconv.Itoa(freqHours) + `</PROLOG_FREQ></REPLY>`)
}

// InventoryReply is the answer to an accepted INVENTORY:
// <REPLY><RESPONSE>NO_ACCOUNT_UPDATE</RESPONSE></REPLY>.
//
// Both Debian agents take any <REPLY> as success. ACCOUNT_UPDATE would
// tell ocsinventory-agent 2.10 to rewrite its local administrative
// information (the TAG and other ACCOUNTINFO an operator set on the
// machine) from the reply's ACCOUNTINFO elements
// (Ocsinventory::Agent::XML::Response::Inventory calls
// writeAccountInfoFile), and with none in the reply it would erase them;
// fusioninventory-agent 2.6 only checks that the reply is a <REPLY>
// (FusionInventory::Agent::XML::Response). So the server does not ask for
// an update.
func InventoryReply() []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8" ?>` + "\n" +
		`<REPLY><RESPONSE>NO_ACCOUNT_UPDATE</RESPONSE></REPLY>`)
}
