package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
)

// TestDiscoverRunPrintsWarnings: a state of a provider Cairn does not map
// succeeds having observed nothing, and the command says why, in text and
// in JSON (issue 18, defect 8).
func TestDiscoverRunPrintsWarnings(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cairn.db")
	state, err := filepath.Abs("../../testdata/discovery/terraform/scaleway.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	wantWarnings := []string{
		"nothing observed: all 13 managed resources in the state are of types Cairn does not map (it maps AWS, Google Cloud, Azure and vSphere types)",
		"13 resources of types Cairn does not map were skipped: scaleway_instance_server ×9, scaleway_instance_ip ×3, scaleway_vpc_private_network ×1",
	}
	out, err := runCairn(t, "--db", db, "discover", "run", "--source", "terraform", "--file", state)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range wantWarnings {
		if !strings.Contains(squeeze(out), "\nwarning "+w+"\n") {
			t.Errorf("output lacks warning %q:\n%s", w, out)
		}
	}
	if !strings.Contains(out, "SUCCEEDED") {
		t.Errorf("output:\n%s\nwant SUCCEEDED", out)
	}
	out, err = runCairn(t, "--db", db, "discover", "run", "--source", "terraform", "--file", state, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Status     string            `json:"status"`
		Warnings   []string          `json:"warnings"`
		HostErrors map[string]string `json:"hostErrors"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if got.Status != "SUCCEEDED" || !reflect.DeepEqual(got.Warnings, wantWarnings) || got.HostErrors == nil || len(got.HostErrors) != 0 {
		t.Errorf("JSON %+v, want SUCCEEDED, warnings %q, hostErrors {}", got, wantWarnings)
	}
}

// TestPrintRunHostErrors: a failed run whose only host failed names the
// host and its error, in text and in JSON.
func TestPrintRunHostErrors(t *testing.T) {
	msg := "every host failed; first: 10.0.0.9: no answer (wrong community or host down)"
	res := &runner.Result{Run: &ent.DiscoveryRun{
		ID: 7, Status: discoveryrun.StatusFailed, SourceKind: "snmp", Error: &msg,
		HostErrors: map[string]string{"10.0.0.9": "no answer (wrong community or host down)"},
	}}
	for _, tc := range []struct {
		json bool
		want []string
	}{
		{false, []string{
			"run 7 snmp FAILED\n",
			"\nerror " + msg + "\n",
			"\nhost 10.0.0.9 no answer (wrong community or host down)\n",
		}},
		{true, []string{
			`"hostErrors": {` + "\n" + `    "10.0.0.9": "no answer (wrong community or host down)"` + "\n  }",
			`"warnings": []`,
		}},
	} {
		var out bytes.Buffer
		if err := printRun(&globals{stdout: &out}, res, tc.json); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		if !tc.json {
			got = squeeze(got)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("json %v: output lacks %q:\n%s", tc.json, w, out.String())
			}
		}
	}
}

// squeeze collapses the runs of spaces tabwriter pads columns with.
func squeeze(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}
