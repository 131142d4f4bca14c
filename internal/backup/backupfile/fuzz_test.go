package backupfile

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
	f.Add(gunzip(f, sample(f)))
	f.Add(`{"format":"cairn-backup","version":1,"engine":"sqlite","schema":"x"}` + "\n" +
		`{"table":"t","columns":[["id","int"],["f","float"],["b","bool"],["s","string"],["at","time"],["j","json"],["x","bytes"]]}` + "\n" +
		`[1,"NaN",true,{"utf8":false,"base64":"/w=="},"2026-01-02T03:04:05.5Z","{\"a\":null}","AAE="]` + "\n" +
		`{"end":"t","rows":1,"sha256":"00"}` + "\n" +
		`{"trailer":{"tables":[],"rows":0,"sha256":"00"}}` + "\n")
	f.Add(`{"format":"cairn-backup","version":1,"secretKey":"zz"}` + "\n")
	f.Fuzz(func(t *testing.T, text string) {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = io.WriteString(zw, text)
		_ = zw.Close()
		rec := &recorder{}
		m, err := Read(&b, rec)
		if err != nil {
			return
		}
		var sum int64
		for _, s := range m.Tables {
			sum += s.Rows
		}
		if sum != m.Rows || int64(len(rec.rows)) != m.Rows {
			t.Fatalf("accepted a backup whose trailer says %d rows, tables %d, visitor saw %d", m.Rows, sum, len(rec.rows))
		}
		// What was accepted writes back to a file that reads the same.
		var again bytes.Buffer
		w, err := NewWriter(&again, 0, m.Header)
		if err != nil {
			t.Fatal(err)
		}
		i := 0
		for _, th := range rec.tables {
			if err := w.BeginTable(th); err != nil {
				t.Fatal(err)
			}
			for range rec.counts[th.Table] {
				if err := w.Row(rec.rows[i]); err != nil {
					t.Fatalf("an accepted row does not write back: %v", err)
				}
				i++
			}
			if _, err := w.EndTable(); err != nil {
				t.Fatal(err)
			}
		}
		tr, err := w.Close()
		if err != nil {
			t.Fatal(err)
		}
		for j, s := range tr.Tables {
			if s != m.Tables[j] {
				t.Fatalf("table %s written back as %+v, read as %+v", s.Name, s, m.Tables[j])
			}
		}
	})
}
