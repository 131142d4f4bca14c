package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ParseJSONRequest parses a GLPI Agent (1.x) inventory in the JSON format
// of glpi-project/inventory_format: {"action": "inventory" (or "query":
// "INVENTORY"), "deviceid": …, "content": {"hardware": {…}, "softwares":
// […], …}}. The format carries the XML protocol's sections and elements
// under lower-case names, so the document is read into the same tree
// (names upper-cased, numbers as written, booleans as "1" and "0", arrays
// as repeated elements) and Observations maps it like an XML INVENTORY.
// Errors name the member, as ParseRequest's name the element.
func ParseJSONRequest(body []byte) (*Request, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var doc map[string]any
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("malformed JSON: %s", clip(err.Error()))
	}
	if d.More() {
		return nil, errors.New("malformed JSON: more than one document")
	}
	r := &Request{}
	str := func(k string) (string, error) {
		switch v := doc[k].(type) {
		case nil:
			return "", nil
		case string:
			return strings.TrimSpace(v), nil
		default:
			return "", fmt.Errorf("%s: want a string", k)
		}
	}
	var err error
	if r.Query, err = str("action"); err != nil {
		return nil, err
	}
	if r.Query == "" {
		if r.Query, err = str("query"); err != nil {
			return nil, err
		}
	}
	r.Query = strings.ToUpper(r.Query)
	if r.DeviceID, err = str("deviceid"); err != nil {
		return nil, err
	}
	if r.Query == "" {
		return nil, errors.New(`action: missing (want "inventory")`)
	}
	if !word(strings.ReplaceAll(r.Query, "-", "_")) {
		return nil, fmt.Errorf("action: %q is not an action name", clip(r.Query))
	}
	if p := deviceIDProblem(r.DeviceID); p != "" {
		return nil, fmt.Errorf("deviceid: %s", p)
	}
	if c, ok := doc["content"]; ok && c != nil {
		n := Node{Name: "CONTENT"}
		if err := jsonNode(&n, c, "content", 1); err != nil {
			return nil, err
		}
		r.Content = &n
	}
	if r.Query == "INVENTORY" {
		if r.Content == nil {
			return nil, errors.New("content: missing: an inventory carries its content")
		}
		if err := checkNumbers(r.Content); err != nil {
			return nil, jsonPath(err)
		}
	}
	return r, nil
}

// jsonNode fills n from a decoded JSON value.
func jsonNode(n *Node, v any, path string, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%s: nested more than %d deep", clip(path), maxDepth)
	}
	switch t := v.(type) {
	case nil:
	case string:
		n.Text = strings.TrimSpace(t)
	case json.Number:
		n.Text = t.String()
	case bool:
		n.Text = "0"
		if t {
			n.Text = "1"
		}
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			name := strings.ToUpper(k)
			if !nameOK(name) {
				return fmt.Errorf("%s: member %q is no element name", clip(path), clip(k))
			}
			if arr, ok := t[k].([]any); ok {
				for i, e := range arr {
					c := Node{Name: name}
					if err := jsonNode(&c, e, fmt.Sprintf("%s.%s[%d]", path, k, i), depth+1); err != nil {
						return err
					}
					n.Children = append(n.Children, c)
				}
				continue
			}
			c := Node{Name: name}
			if err := jsonNode(&c, t[k], path+"."+k, depth+1); err != nil {
				return err
			}
			n.Children = append(n.Children, c)
		}
	case []any:
		return fmt.Errorf("%s: an array in an array", clip(path))
	}
	return nil
}

// jsonPath rewrites checkNumbers' element path as the JSON member's.
func jsonPath(err error) error {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "REQUEST/CONTENT/"); ok {
		p, tail, _ := strings.Cut(rest, ":")
		return fmt.Errorf("content.%s:%s", strings.ToLower(strings.ReplaceAll(p, "/", ".")), tail)
	}
	return err
}

// ParseBody parses an inflated request body of either protocol: a JSON
// document (GLPI Agent, first character '{') with ParseJSONRequest, else
// the XML with ParseRequest.
func ParseBody(body []byte) (*Request, error) {
	b := bytes.TrimLeft(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(b) > 0 && b[0] == '{' {
		return ParseJSONRequest(b)
	}
	return ParseRequest(body)
}
