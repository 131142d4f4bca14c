package reconcile_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// issue18Placeholders are the serial numbers vendors were seen reporting
// when none was set (issue 18, defect 7), in the paddings they come in.
var issue18Placeholders = []string{
	"serial",
	"<private>",
	"To be filled by O.E.M.",
	" Not Specified ",
	"Default string",
	"0123456789",
	"System Serial Number",
	"Chassis Serial Number",
	"None",
	"N/A",
}

// TestPlaceholderSerialsNeverMerge is the regression test of issue 18's
// seventh defect: serial is the strongest match rule, so two devices
// reporting the same placeholder serial would be one CI. Each pair of
// devices below shares a placeholder; every device must become its own
// CI, keep the placeholder as a fact and get no SERIAL identifier, and a
// later device reporting only the placeholder must match none of them.
func TestPlaceholderSerialsNeverMerge(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		j := e.job("inventory", func(c *ent.DiscoveryJobCreate) { c.SetCreateUnregistered(true) })

		device := func(name, serial string) discovery.Observation {
			return withFields(obs(name, id(ident.Hostname, name), id(ident.Serial, serial)),
				"hostname", name, "serial_number", serial)
		}
		var all []discovery.Observation
		for i, p := range issue18Placeholders {
			all = append(all, device(fmt.Sprintf("a%02d", i), p), device(fmt.Sprintf("b%02d", i), p))
		}
		out, _ := e.reconcile(e.opts(j), all...)
		if c := out.Counts; c.Created != len(all) || c.Matched != 0 || c.Ambiguous != 0 {
			t.Fatalf("counts %+v, want %d CIs created, none matched or ambiguous", c, len(all))
		}
		if n := e.count("ci"); n != len(all) {
			t.Fatalf("%d CIs, want %d", n, len(all))
		}
		if n, err := e.c.Identifier.Query().Where(identifier.KindEQ(identifier.KindSerial)).Count(e.ctx); err != nil || n != 0 {
			t.Fatalf("%d SERIAL identifiers (err %v), want none", n, err)
		}
		cis, err := e.c.ConfigurationItem.Query().All(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ci := range cis {
			if ci.SerialNumber != nil {
				t.Errorf("CI %s serial number %q, want none", ci.Name, *ci.SerialNumber)
			}
			i := 0
			if _, err := fmt.Sscanf(ci.Name[1:], "%d", &i); err != nil {
				t.Fatalf("CI name %q: %v", ci.Name, err)
			}
			want := strings.TrimSpace(issue18Placeholders[i])
			if got := strings.TrimSpace(factString(ci.Facts["not_identity.serial"])); got != want {
				t.Errorf("CI %s fact not_identity.serial = %q, want %q", ci.Name, got, want)
			}
		}

		// A third device with the same placeholder and nothing else that
		// names it is a new thing, not any of the pairs.
		e.tick(time.Hour)
		for i, p := range issue18Placeholders {
			o := withFields(obs(fmt.Sprintf("c%02d", i), id(ident.Serial, p)), "serial_number", p)
			out, _ := e.reconcile(e.opts(j), o)
			if c := out.Counts; c.Matched != 0 || c.Ambiguous != 0 || c.Created != 1 {
				t.Fatalf("device with only serial %q: counts %+v, want a new CI", p, c)
			}
		}
	})
}
