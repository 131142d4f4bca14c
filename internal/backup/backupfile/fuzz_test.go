package backup

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"
)

// FuzzRead feeds the reader mutated backups (the text inside the gzip
// stream, so mutations reach the parser): it must never panic, and what it
// accepts must be self-consistent.
func FuzzRead(f *testing.F) {
	f.Add(gunzip(f, goodBackup(f)))
	f.Add(`{"format":"cairn-backup","version":1,"engine":"sqlite","schema":"x"}` + "\n" +
		`{"table":"t","columns":[["id","int"],["f","float"],["b","bool"],["s","string"],["at","time"],["j","json"],["x","bytes"]]}` + "\n" +
		`[1,"NaN",true,{"utf8":false,"base64":"/w=="},"2026-01-02T03:04:05.5Z","{\"a\":null}","AAE="]` + "\n" +
		`{"end":"t","rows":1,"sha256":"00"}` + "\n" +
		`{"trailer":{"tables":[],"rows":0,"sealed":0,"sha256":"00"}}` + "\n")
	f.Add(`{"format":"cairn-backup","version":1,"secretKey":"zz"}` + "\n")
	f.Fuzz(func(t *testing.T, text string) {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = io.WriteString(zw, text)
		_ = zw.Close()
		var rows int64
		m, err := Read(&b, countingVisitor{&rows})
		if err != nil {
			return
		}
		var sum int64
		for _, s := range m.Tables {
			sum += s.Rows
		}
		if sum != m.Rows || rows != m.Rows {
			t.Fatalf("accepted a backup whose trailer says %d rows, tables %d, visitor saw %d", m.Rows, sum, rows)
		}
	})
}

type countingVisitor struct{ n *int64 }

func (countingVisitor) Header(*Header) error     { return nil }
func (countingVisitor) Table(*TableHeader) error { return nil }
func (c countingVisitor) Row([]any) error        { *c.n++; return nil }
func (countingVisitor) EndTable(*TableEnd) error { return nil }
