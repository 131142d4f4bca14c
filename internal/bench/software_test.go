package bench

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/apitoken"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/migrate"
	"github.com/cairn-cmdb/cairn/ent/softwareinstallation"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/estate"
	"github.com/cairn-cmdb/cairn/internal/server"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// The software estate of BenchmarkSoftwareInstallations: 10,000 CIs with
// 1,000 packages each, 10 million installations.
const (
	softwareCIs      = 10_000
	softwarePackages = 1_000
)

// softwareBenchQuery is the patch-compliance question: which CIs run an
// openssl older than Debian 12's fix, with their names (default page, 100).
const softwareBenchQuery = `{
  softwareInstallations(name: "openssl", versionBelow: "3.0.11-1~deb12u2") {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { version manager configurationItem { name } } }
  }
}`

// opensslVersions are the versions the estate's hosts run: Debian hosts
// one of the first five (two of them below 3.0.11-1~deb12u2), every tenth
// host is an RPM host (epoch 1, never below an epoch-less version).
var opensslVersions = []string{"3.0.9-1", "3.0.11-1~deb12u1", "3.0.11-1~deb12u2", "3.0.13-1~deb12u1", "3.0.15-1~deb12u1"}

const rpmOpenssl = "1:3.0.7-27.el9_5"

// softwareRow returns the installation of package p (0 is openssl) on the
// i-th CI: name, version, arch, manager.
func softwareRow(i, p int) (string, string, string, string) {
	if i%10 == 0 {
		if p == 0 {
			return "openssl", rpmOpenssl, "x86_64", "rpm"
		}
		return fmt.Sprintf("pkg-%03d", p), fmt.Sprintf("%d.%d-%d.el9", p%7, (i+p)%13, p%3+1), "x86_64", "rpm"
	}
	if p == 0 {
		return "openssl", opensslVersions[i%len(opensslVersions)], "amd64", "dpkg"
	}
	return fmt.Sprintf("pkg-%03d", p), fmt.Sprintf("%d.%d-%d", p%7, (i+p)%13, p%3+1), "amd64", "dpkg"
}

// softwareIndexes are the table's secondary indexes, dropped while the
// seed loads and made again after it.
func softwareIndexes() []string {
	t := migrate.SoftwareInstallationsTable
	var out []string
	for _, idx := range t.Indexes {
		cols := make([]string, len(idx.Columns))
		for i, c := range idx.Columns {
			cols[i] = c.Name
		}
		out = append(out, fmt.Sprintf(`CREATE INDEX %q ON %q (%s)`, idx.Name, t.Name, `"`+strings.Join(cols, `", "`)+`"`))
	}
	return out
}

// seedSoftwareEstate writes the CIs (the synthetic seed) and their 10
// million installations in one transaction: prepared multi-row INSERTs on
// SQLite, COPY on PostgreSQL, the secondary indexes made after the rows.
// The installations are written directly, not from package facts through
// the hook (the CIs carry no package facts): the benchmark measures the
// query, and 10 million fact keys would only slow the seed down.
func seedSoftwareEstate(ctx context.Context, db *app.DB) error {
	if _, err := estate.SeedSynthetic(ctx, db, softwareCIs); err != nil {
		return fmt.Errorf("seeding CIs: %w", err)
	}
	ids, err := db.Client.ConfigurationItem.Query().IDs(ctx)
	if err != nil {
		return err
	}
	if len(ids) < softwareCIs {
		return fmt.Errorf("%d CIs, want %d", len(ids), softwareCIs)
	}
	ids = ids[:softwareCIs]
	conn, err := db.Store.Writer().Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	for _, idx := range migrate.SoftwareInstallationsTable.Indexes {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("DROP INDEX IF EXISTS %q", idx.Name)); err != nil {
			return err
		}
	}
	cols := []string{softwareinstallation.FieldName, softwareinstallation.FieldVersion, softwareinstallation.FieldArch,
		softwareinstallation.FieldManager, softwareinstallation.FieldConfigurationItemID}
	if db.Store.Backend() == store.Postgres {
		err = copySoftware(ctx, conn, ids, cols)
	} else {
		err = insertSoftware(ctx, tx, ids, cols)
	}
	if err != nil {
		return err
	}
	for _, q := range softwareIndexes() {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return tx.Commit()
}

// insertSoftware writes the rows with one prepared INSERT of 200 rows.
func insertSoftware(ctx context.Context, tx *sql.Tx, ids []int, cols []string) error {
	const perStmt = 200
	var q strings.Builder
	q.WriteString(fmt.Sprintf(`INSERT INTO %q ("%s") VALUES `, softwareinstallation.Table, strings.Join(cols, `", "`)))
	for r := range perStmt {
		if r > 0 {
			q.WriteByte(',')
		}
		q.WriteString("(?,?,?,?,?)")
	}
	stmt, err := tx.PrepareContext(ctx, q.String())
	if err != nil {
		return err
	}
	defer stmt.Close()
	args := make([]any, 0, perStmt*5)
	for i, id := range ids {
		for p := range softwarePackages {
			name, version, arch, manager := softwareRow(i, p)
			args = append(args, name, version, arch, manager, id)
			if len(args) == cap(args) {
				if _, err := stmt.ExecContext(ctx, args...); err != nil {
					return fmt.Errorf("inserting installations: %w", err)
				}
				args = args[:0]
			}
		}
	}
	if len(args) > 0 {
		return errors.New("the installations do not fill whole statements")
	}
	return nil
}

// copySoftware streams the rows with pgx's COPY on the transaction's
// connection.
func copySoftware(ctx context.Context, conn *sql.Conn, ids []int, cols []string) error {
	i, p := 0, -1
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if p++; p == softwarePackages {
			i, p = i+1, 0
		}
		if i == len(ids) {
			return nil, nil
		}
		name, version, arch, manager := softwareRow(i, p)
		return []any{name, version, arch, manager, ids[i]}, nil
	})
	return conn.Raw(func(dc any) error {
		pc, ok := dc.(interface{ Conn() *pgx.Conn })
		if !ok {
			return fmt.Errorf("the driver connection is a %T, not pgx's: COPY needs pgx", dc)
		}
		n, err := pc.Conn().CopyFrom(ctx, pgx.Identifier{softwareinstallation.Table}, cols, src)
		if err != nil {
			return fmt.Errorf("copying installations: %w", err)
		}
		if want := int64(len(ids) * softwarePackages); n != want {
			return fmt.Errorf("copied %d installations, want %d", n, want)
		}
		return nil
	})
}

// setupSoftware opens the software estate, seeding it once: a SQLite file
// cached in the temp dir, or the empty PostgreSQL database of
// CAIRN_BENCH_SOFTWARE_POSTGRES_DSN (reused once it holds the estate).
func setupSoftware(b *testing.B) *env {
	b.Helper()
	ctx := context.Background()
	path := os.Getenv("CAIRN_BENCH_SOFTWARE_POSTGRES_DSN")
	fresh := false
	if path == "" {
		path = filepath.Join(os.TempDir(), fmt.Sprintf("cairn-bench-software-%dx%d.db", softwareCIs, softwarePackages))
		if _, err := os.Stat(path); err != nil {
			fresh = true
		}
	}
	db, err := app.Open(ctx, path, app.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	if db.Store.Backend() == store.Postgres {
		have, err := db.Client.SoftwareInstallation.Query().Limit(1).Count(ctx)
		if err != nil {
			b.Fatal(err)
		}
		fresh = have == 0
	}
	if fresh {
		start := time.Now()
		if err := seedSoftwareEstate(ctx, db); err != nil {
			if db.Store.Backend() == store.SQLite {
				_ = db.Close()
				_ = os.Remove(path)
			}
			b.Fatal(err)
		}
		if err := store.Optimize(ctx, db.Store); err != nil {
			b.Fatal(err)
		}
		b.Logf("seeded %d CIs with %d packages each in %s", softwareCIs, softwarePackages, time.Since(start).Round(time.Second))
	}
	secret, _, err := auth.CreateToken(audit.WithActor(ctx, "bench"), db.Client,
		fmt.Sprintf("bench-%d", time.Now().UnixNano()), apitoken.RoleViewer, nil)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := server.New(db, server.Config{})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	b.Cleanup(ts.Close)
	return &env{db: db, url: ts.URL + "/graphql", token: secret, h: srv, n: softwareCIs}
}

// BenchmarkSoftwareInstallations asks which of 10,000 CIs (1,000 packages
// each) run an openssl older than 3.0.11-1~deb12u2 through the HTTP server,
// one client: 3,000 of the 10,000 installations of openssl qualify (the
// Debian hosts on 3.0.9-1 and 3.0.11-1~deb12u1), the first 100 returned
// with their CIs. Target: under 200 ms.
func BenchmarkSoftwareInstallations(b *testing.B) {
	e := setupSoftware(b)
	body, err := json.Marshal(map[string]string{"query": softwareBenchQuery})
	if err != nil {
		b.Fatal(err)
	}
	checkSoftwareAnswer(b, e, body)
	r := e.run(b, 1, func(int, int) []byte { return body })
	if r.P50 > 200*time.Millisecond {
		b.Errorf("p50 %s, want under 200 ms", r.P50)
	}
}

// checkSoftwareAnswer runs the query once and checks its counts.
func checkSoftwareAnswer(b *testing.B, e *env, body []byte) {
	b.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.token)
	start := time.Now()
	hr, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer hr.Body.Close()
	out, err := io.ReadAll(hr.Body)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("first answer in %s", time.Since(start).Round(time.Millisecond))
	var resp struct {
		Data struct {
			SoftwareInstallations struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						Version           string
						ConfigurationItem struct{ Name string }
					}
				}
			}
		}
		Errors []json.RawMessage
	}
	if err := json.Unmarshal(out, &resp); err != nil || len(resp.Errors) > 0 {
		b.Fatalf("answer %s: %v", out, err)
	}
	s := resp.Data.SoftwareInstallations
	// Of every ten hosts, one is an RPM host and three Debian hosts run a
	// version below the bound (i%5 is 0 or 1 for i%10 in 1, 5 and 6).
	if want := softwareCIs * 3 / 10; s.TotalCount != want || len(s.Edges) != 100 {
		b.Fatalf("totalCount %d with %d edges, want %d with 100", s.TotalCount, len(s.Edges), want)
	}
	for _, ed := range s.Edges {
		if v := ed.Node.Version; v != "3.0.9-1" && v != "3.0.11-1~deb12u1" {
			b.Fatalf("%s runs openssl %s, not below 3.0.11-1~deb12u2", ed.Node.ConfigurationItem.Name, v)
		}
	}
}

// BenchmarkSoftwareSync measures what the software hook adds to a CI
// update on SQLite, for a host with 1,000 packages: "unchanged" changes
// another fact (the hook runs no statement), "one-package" upgrades one
// package (the hook deletes and rewrites the host's 1,000 rows).
func BenchmarkSoftwareSync(b *testing.B) {
	ctx := audit.WithActor(context.Background(), "bench")
	db, err := app.Open(ctx, filepath.Join(b.TempDir(), "sync.db"), app.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	facts := func(version, uptime string) map[string]any {
		f := map[string]any{"packages.manager": "dpkg", "uptime": uptime}
		for p := range softwarePackages {
			name, v, arch, _ := softwareRow(1, p)
			if p == 1 {
				v = version
			}
			f["package."+name] = v
			f["package_arch."+name] = arch
		}
		return f
	}
	var id int
	if err := txn.Do(ctx, db.Client, func(tx *ent.Client) error {
		ci, err := tx.ConfigurationItem.Create().SetName("host").SetKind(configurationitem.KindServer).SetFacts(facts("1.0-1", "0")).Save(ctx)
		if err == nil {
			id = ci.ID
		}
		return err
	}); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		facts func(i int) map[string]any
	}{
		{"unchanged", func(i int) map[string]any { return facts("1.0-1", strconv.Itoa(i)) }},
		{"one-package", func(i int) map[string]any { return facts(fmt.Sprintf("1.0-%d", i+2), "0") }},
	} {
		b.Run(c.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				f := c.facts(i)
				i++
				if err := txn.Do(ctx, db.Client, func(tx *ent.Client) error {
					return tx.ConfigurationItem.UpdateOneID(id).SetFacts(f).Exec(ctx)
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	if n := db.Client.SoftwareInstallation.Query().CountX(ctx); n != softwarePackages {
		b.Fatalf("%d installations, want %d", n, softwarePackages)
	}
}
