package terraform

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/discovery"
)

// TestWarningsGolden holds what each fixture's run says it could not use
// (issue 18, defect 8): the states of providers Cairn does not map observe
// nothing and say so, with counts by type, rather than succeed in silence.
func TestWarningsGolden(t *testing.T) {
	for _, name := range append([]string{"openstack", "scaleway"}, fixtures...) {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
			src, err := (&Config{File: filepath.Join(fixtureDir, name+".tfstate")}).Build()
			if err != nil {
				t.Fatal(err)
			}
			res, err := src.Discover(context.Background(), discovery.Env{Now: now, Logger: log})
			if err != nil {
				t.Fatal(err)
			}
			if res.Partial || len(res.HostErrors) > 0 {
				t.Errorf("partial %v, host errors %v: a state read in full is complete", res.Partial, res.HostErrors)
			}
			// Every warning is also logged at the default level.
			for _, w := range res.Warnings {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("warning %q not logged; log:\n%s", w, buf.String())
				}
			}
			golden(t, filepath.Join(fixtureDir, name+".warnings.golden"), []byte(strings.Join(res.Warnings, "\n")+"\n"))
		})
	}
}

func TestUnmappedWarnings(t *testing.T) {
	for _, tc := range []struct {
		name, resources string
		types           []string
		want            []string
	}{
		{"nothing unmapped", `
			{"mode": "managed", "type": "aws_vpc", "name": "v", "instances": [{"attributes": {"id": "vpc-1"}}]}`,
			nil, nil},
		{"empty state", ``, nil, nil},
		{"only data sources", `
			{"mode": "data", "type": "openstack_images_image_v2", "name": "i", "instances": [{"attributes": {}}]}`,
			nil, nil},
		{"one unmapped beside a mapped one", `
			{"mode": "managed", "type": "aws_vpc", "name": "v", "instances": [{"attributes": {"id": "vpc-1"}}]},
			{"mode": "managed", "type": "flexibleengine_compute_instance_v2", "name": "x", "instances": [{"attributes": {}}]}`,
			nil, []string{"1 resource of types Cairn does not map was skipped: flexibleengine_compute_instance_v2 ×1"}},
		{"all unmapped, largest count first", `
			{"mode": "managed", "type": "flexibleengine_vpc_v1", "name": "n", "instances": [{"attributes": {}}]},
			{"mode": "managed", "type": "flexibleengine_compute_instance_v2", "name": "x", "instances": [
				{"index_key": 0, "attributes": {}}, {"index_key": 1, "attributes": {}}]}`,
			nil, []string{
				"nothing observed: all 3 managed resources in the state are of types Cairn does not map (it maps AWS, Google Cloud, Azure and vSphere types)",
				"3 resources of types Cairn does not map were skipped: flexibleengine_compute_instance_v2 ×2, flexibleengine_vpc_v1 ×1",
			}},
		// A type the job's Types leave out is the job's choice, not a
		// gap in Cairn.
		{"left out by Types", `
			{"mode": "managed", "type": "aws_vpc", "name": "v", "instances": [{"attributes": {"id": "vpc-1"}}]},
			{"mode": "managed", "type": "aws_instance", "name": "i", "instances": [{"attributes": {"id": "i-1"}}]}`,
			[]string{"aws_instance"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var types map[string]bool
			if tc.types != nil {
				types = map[string]bool{}
				for _, ty := range tc.types {
					types[ty] = true
				}
			}
			st, err := parse(strings.NewReader(state(tc.resources)), "test.tfstate", types)
			if err != nil {
				t.Fatal(err)
			}
			got := st.warnings()
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("warnings\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestUnmappedWarningListsAtMostTen(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 12; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"mode": "managed", "type": "openstack_t` + string(rune('a'+i)) + `", "name": "x", "instances": [{"attributes": {}}]}`)
	}
	st, err := parse(strings.NewReader(state(b.String())), "test.tfstate", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := st.warnings()
	want := "12 resources of types Cairn does not map were skipped: openstack_ta ×1, openstack_tb ×1, openstack_tc ×1, openstack_td ×1, openstack_te ×1, openstack_tf ×1, openstack_tg ×1, openstack_th ×1, openstack_ti ×1, openstack_tj ×1 and 2 more of 2 other types"
	if len(got) != 2 || got[1] != want {
		t.Errorf("warnings %q, want second %q", got, want)
	}
}
