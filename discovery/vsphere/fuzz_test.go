package vsphere

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// FuzzFromInventory feeds FromInventory whatever a server could answer
// (names, UUIDs, MACs, addresses, references to objects that do not exist):
// it must not panic, and every observation must pass Check with keys
// unique and relationships inside the run.
func FuzzFromInventory(f *testing.F) {
	f.Add(`{"instance":"7b1e3c0a-5f2d-4c8e-9a61-2d4f0e8b9c13","datacenters":[{"ref":"datacenter-2","name":"DC0",
		"clusters":[{"ref":"domain-c7","name":"C0"}],
		"hosts":[{"ref":"host-9","name":"esx01.example.com","cluster":"domain-c7","uuid":"4c4c4544-0042-3610-8052-b4c04f4b4d32","serials":["CZJ8","To Be Filled By O.E.M."],"cpuThreads":64,"memoryBytes":549755813888}],
		"vms":[{"ref":"vm-12","name":"web","host":"host-9","instanceUuid":"5012a0b1-2c3d-4e5f-8a9b-0c1d2e3f4a5b","biosUuid":"4212a0b1-2c3d-4e5f-8a9b-0c1d2e3f4a5b",
			"guestHostName":"web.example.com","guestIps":["10.0.0.5","fe80::1","::1","bogus"],"datastores":["datastore-3","datastore-99"],
			"nics":[{"label":"Network adapter 1","mac":"00:50:56:aa:bb:cc","network":"VM Network"},{"label":"x","mac":"00:00:00:00:00:00"}],
			"disks":[{"label":"Hard disk 1","sizeBytes":1073741824,"datastore":"datastore-3"},{"label":"Hard disk 2","datastore":"nowhere"}]}],
		"datastores":[{"ref":"datastore-3","name":"ds1","type":"VMFS","capacityBytes":1099511627776}],
		"switches":[{"ref":"dvs-5","name":"dvs","uuid":"50 2a 1f 3c","hosts":["host-9","host-404","host-9"],"portgroups":["b","a"]}]}]}`)
	f.Add(`{"instance":"","datacenters":[{"ref":"","name":"","hosts":[{"ref":"","name":"10.1.2.3"}],"vms":[{"ref":"vm-1","name":"` + strings.Repeat("é", 200) + `","disks":[{"label":"` + strings.Repeat("d", 300) + `","datastore":"ds"}]}],"datastores":[{"ref":"ds","name":"x"}]}]}`)
	f.Add(`{"datacenters":[{"ref":"d","name":"n","vms":[{"ref":"v","name":"v","host":"h","guestHostName":"-bad..name"}]}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		var inv Inventory
		if err := json.Unmarshal([]byte(doc), &inv); err != nil {
			return
		}
		obs := FromInventory(&inv, now)
		// Keys repeat when the input repeats a reference (the server
		// never does); Check must hold of each observation all the same.
		keys := map[string]bool{}
		for _, o := range obs {
			keys[o.Key] = true
		}
		for _, o := range obs {
			if strings.TrimSpace(o.Key) == "" {
				continue // an empty reference; a server's never is
			}
			if err := o.Check(); err != nil {
				t.Errorf("%v", err)
			}
			for _, r := range o.Relationships {
				if !keys[r.To] {
					t.Errorf("%s: %s to %s, not an observation", o.Key, r.Type, r.To)
				}
			}
		}
	})
}

// FuzzNormalizeThumbprint: a thumbprint from the configuration either
// normalises to 20 or 32 upper-case bytes joined by colons, stable under a
// second normalisation, or is refused.
func FuzzNormalizeThumbprint(f *testing.F) {
	for _, s := range []string{"AB:CD", strings.Repeat("ab:", 19) + "ab", strings.Repeat("0F", 32), " 12 34 ", "zz", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := NormalizeThumbprint(s)
		if err != nil {
			return
		}
		if n := len(strings.Split(v, ":")); n != 20 && n != 32 {
			t.Errorf("%q → %q: %d bytes", s, v, n)
		}
		if again, err := NormalizeThumbprint(v); err != nil || again != v {
			t.Errorf("%q → %q → %q, %v", s, v, again, err)
		}
	})
}

// FuzzParseURL: a configured URL is refused or yields an http(s) URL with a
// host and no user information.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"https://vc/sdk", "vc.example.com", "https://u:p@vc/sdk", "ftp://x", "http://[::1]:8989/sdk", "%zz", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := parseURL(s)
		if err != nil {
			if pu, perr := url.Parse(s); perr == nil && pu.User != nil {
				if pw, ok := pu.User.Password(); ok && len(pw) >= 4 && strings.Contains(err.Error(), pw) {
					t.Errorf("%q: error shows the password: %v", s, err)
				}
			}
			return
		}
		if u.Host == "" || u.User != nil || (u.Scheme != "https" && u.Scheme != "http") {
			t.Errorf("%q → %v", s, u)
		}
	})
}
