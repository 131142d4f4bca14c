package app

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/migrate"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/hooks"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

var canonicalTimeRe = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d*[1-9])?\+00:00$`)

// storedTimes reads the text of every time column of the schema (found
// through TimeColumns) by table, column and rowid.
func storedTimes(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, c := range TimeColumns(migrate.Tables) {
		rows, err := db.Query(fmt.Sprintf(`SELECT rowid, CAST(%q AS TEXT) FROM %q WHERE %q IS NOT NULL`, c.Column, c.Table, c.Column))
		if err != nil {
			t.Fatalf("%s.%s: %v", c.Table, c.Column, err)
		}
		for rows.Next() {
			var id int64
			var s string
			if err := rows.Scan(&id, &s); err != nil {
				t.Fatal(err)
			}
			out[fmt.Sprintf("%s.%s#%d", c.Table, c.Column, id)] = s
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestMigrateRewritesLegacyTimes: a SQLite database written by an older
// Cairn (times stored as time.String(), " m=+…" and all, through the same
// ent client and hooks over modernc's default settings) is rewritten by the
// migration every command runs: every time column of the schema, every
// instant kept to the nanosecond, and a second migration changes nothing.
// Afterwards paging by created_at from a cursor does not return the
// cursor's row again, and a filter at a row's own instant finds it.
func TestMigrateRewritesLegacyTimes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "legacy.db")
	db, err := Open(ctx, path, Options{}) // the schema
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// The older Cairn: modernc's defaults (no _time_format).
	raw, err := sql.Open("sqlite", path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	legacy := ent.NewClient(ent.Driver(entsql.OpenDB(dialect.SQLite, raw)))
	hooks.Register(legacy)
	plus2 := time.FixedZone("CEST", 2*60*60)
	base := time.Now()
	names := []string{"a", "b-tie", "c-tie", "d-plus2", "e"}
	at := []time.Time{base, base.Add(time.Second), base.Add(time.Second), base.Add(2 * time.Second).In(plus2), base.Add(3*time.Second + time.Nanosecond)}
	err = txn.Do(audit.WithActor(ctx, "seed"), legacy, func(tx *ent.Client) error {
		o, err := tx.Owner.Create().SetName("team").SetKind(owner.KindTeam).Save(ctx)
		if err != nil {
			return err
		}
		for i, n := range names {
			if err := tx.ConfigurationItem.Create().SetName(n).SetKind(configurationitem.KindServer).
				SetOwner(o).SetCreatedAt(at[i]).SetLastSeenAt(at[i]).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`PRAGMA user_version = 0`); err != nil { // as every database before
		t.Fatal(err)
	}
	before := storedTimes(t, raw)
	var mono int
	for _, s := range before {
		if strings.Contains(s, " m=") {
			mono++
		}
	}
	if mono == 0 || len(before) < 3*len(names) {
		t.Fatalf("the legacy database holds %d times, %d with a monotonic reading: %v", len(before), mono, before)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	after := storedTimes(t, db.Store.Writer())
	if len(after) != len(before) {
		t.Errorf("%d times after, %d before", len(after), len(before))
	}
	for k, old := range before {
		want, err := store.ParseLegacyTime(old)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		s := after[k]
		got, err := time.Parse(store.SQLiteTimeLayout, s)
		if err != nil || !canonicalTimeRe.MatchString(s) || !got.Equal(want) || got.UnixNano() != want.UnixNano() {
			t.Errorf("%s: %q became %q (%v, %v)", k, old, s, got, err)
		}
	}
	// Paging by created_at, two at a time, with cursors as a client sends
	// them back (encoded, decoded).
	order := []*ent.ConfigurationItemOrder{{Field: ent.ConfigurationItemOrderFieldCreatedAt, Direction: entgql.OrderDirectionAsc}}
	var paged []string
	var after_ *ent.Cursor
	two := 2
	for range len(names) + 1 {
		conn, err := db.Client.ConfigurationItem.Query().Paginate(ctx, after_, &two, nil, nil, ent.WithConfigurationItemOrder(order))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range conn.Edges {
			paged = append(paged, e.Node.Name)
		}
		if !conn.PageInfo.HasNextPage {
			break
		}
		after_ = roundTrip(t, *conn.PageInfo.EndCursor)
	}
	if !slices.Equal(paged, names) {
		t.Errorf("paged by created_at: %v, want %v", paged, names)
	}
	// A filter at each row's own instant, as read back.
	cis, err := db.Client.ConfigurationItem.Query().Order(configurationitem.ByCreatedAt(), configurationitem.ByID()).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, ci := range cis {
		got, err := db.Client.ConfigurationItem.Query().Where(configurationitem.CreatedAtGTE(ci.CreatedAt), configurationitem.LastSeenAtLTE(*ci.LastSeenAt)).
			Order(configurationitem.ByCreatedAt(), configurationitem.ByID()).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var gotNames []string
		for _, g := range got {
			gotNames = append(gotNames, g.Name)
		}
		lo, hi := i, i
		for lo > 0 && cis[lo-1].CreatedAt.Equal(ci.CreatedAt) {
			lo--
		}
		for hi < len(cis)-1 && cis[hi+1].CreatedAt.Equal(ci.CreatedAt) {
			hi++
		}
		if want := names[lo : hi+1]; !slices.Equal(gotNames, want) {
			t.Errorf("%s: created_at >= and last_seen_at <= its own instant: %v, want %v", ci.Name, gotNames, want)
		}
	}
	// Idempotent: nothing left to do, the text unchanged on the next start.
	if n, err := db.Store.CanonicalizeTimes(ctx, TimeColumns(migrate.Tables)); err != nil || n != 0 {
		t.Errorf("again: %d rows, %v; want 0", n, err)
	}
	if err := Migrate(ctx, db.Client, db.Store); err != nil {
		t.Fatal(err)
	}
	if again := storedTimes(t, db.Store.Writer()); fmt.Sprint(again) != fmt.Sprint(after) {
		t.Errorf("a second migration changed the times")
	}
}

// roundTrip encodes a cursor as the GraphQL layer does and decodes it.
func roundTrip(t *testing.T, c ent.Cursor) *ent.Cursor {
	t.Helper()
	var buf bytes.Buffer
	c.MarshalGQL(&buf)
	s, err := strconv.Unquote(buf.String())
	if err != nil {
		t.Fatal(err)
	}
	var out ent.Cursor
	if err := out.UnmarshalGQL(s); err != nil {
		t.Fatal(err)
	}
	return &out
}
