package estate

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
)

// syntheticCSV is a CSV of n servers and VMs with the columns NetBox
// exports typically have.
func syntheticCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("Name,Type,Status,Host,FQDN,Serial,IP Address,MAC,Owner,Tags,Rack\n")
	for i := 1; i <= n; i++ {
		kind := "Virtual Machine"
		serial := ""
		mac := ""
		if i%3 == 0 {
			kind = "Server"
			serial = fmt.Sprintf("CZ%08d", i)
			mac = fmt.Sprintf("00:1b:21:%02x:%02x:%02x", (i>>16)&255, (i>>8)&255, i&255)
		}
		fmt.Fprintf(&b, "csv-%05d,%s,active,csv-%05d,csv-%05d.dc1.example.com,%s,10.%d.%d.%d,%s,Platform Team,linux;csv,R%02d\n",
			i, kind, i, i, serial, 100+(i>>16)&255, (i>>8)&255, i&255, mac, i%40)
	}
	return b.Bytes()
}

func importCSVOwnerDoc() *Document {
	return &Document{Version: Version, Owners: []Owner{{Name: "Platform Team", Kind: "TEAM"}}}
}

func TestImportCSV10k(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 rows")
	}
	ctx := context.Background()
	db := openSQLite(t)
	if _, err := Import(ctx, db.Client, importCSVOwnerDoc(), ImportOptions{Source: "owners.json"}); err != nil {
		t.Fatal(err)
	}
	data := syntheticCSV(10000)
	m, err := ParseMapping("name=Name,kind=Type,status=Status,hostname=Host,fqdn=FQDN,serialNumber=Serial,ip=IP Address,mac=MAC,owner=Owner,tags=Tags,attr.rack=Rack")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rep, err := ImportCSV(ctx, BulkClient(db), bytes.NewReader(data), m, ImportOptions{Source: "hosts.csv"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("10,000 CSV rows imported in %v", time.Since(start))
	if got := rep.Entity(EntConfigurationItems).Created; got != 10000 {
		t.Fatalf("created %d CIs, want 10000", got)
	}
	n, err := db.Client.ConfigurationItem.Query().Count(ctx)
	if err != nil || n != 10000 {
		t.Fatalf("stored %d CIs (%v), want 10000", n, err)
	}
	// Importing the same file again matches every row and changes nothing.
	start = time.Now()
	rep, err = ImportCSV(ctx, db.Client, bytes.NewReader(data), m, ImportOptions{Source: "hosts.csv"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("10,000 CSV rows re-imported (all unchanged) in %v", time.Since(start))
	if er := rep.Entity(EntConfigurationItems); er.Created != 0 || er.Updated != 0 || er.Unchanged != 10000 {
		t.Fatalf("re-import: %+v, want 10000 unchanged", er)
	}
}

func BenchmarkImportCSV10k(b *testing.B) {
	ctx := context.Background()
	data := syntheticCSV(10000)
	m, err := ParseMapping("name=Name,kind=Type,status=Status,hostname=Host,fqdn=FQDN,serialNumber=Serial,ip=IP Address,mac=MAC,owner=Owner,tags=Tags,attr.rack=Rack")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		db := openSQLite(b)
		if _, err := Import(ctx, db.Client, importCSVOwnerDoc(), ImportOptions{Source: "owners.json"}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := ImportCSV(ctx, BulkClient(db), bytes.NewReader(data), m, ImportOptions{Source: "hosts.csv"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "rows/s")
}
