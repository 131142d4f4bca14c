package hooks_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// TestSchedulesAndRulesValidatedOnEveryWrite writes drift ignore rules,
// discovery jobs and report schedules straight through the ent client, as
// the CLI, an import or a test does: a bad one is refused with the same
// BAD_USER_INPUT and field the GraphQL API answers.
func TestSchedulesAndRulesValidatedOnEveryWrite(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		c := open(t, dsn)
		ctx := audit.WithActor(context.Background(), "test")
		var ruleID, jobID, reportID int
		if err := txn.Do(ctx, c, func(tx *ent.Client) error {
			r, err := tx.DriftIgnoreRule.Create().SetName("ports").SetFieldPattern("facts.port.*").Save(ctx)
			if err != nil {
				return err
			}
			j, err := tx.DiscoveryJob.Create().SetName("scan").SetSourceKind("nmap").SetSchedule("@daily").
				SetTimeZone("Europe/Berlin").SetFieldPriorities(map[string]int{"facts.*": 10}).Save(ctx)
			if err != nil {
				return err
			}
			s, err := tx.ReportSchedule.Create().SetName("daily").SetSchedule("0 6 * * *").
				SetFormats([]string{"markdown"}).SetDirectory("/tmp/reports").Save(ctx)
			if err != nil {
				return err
			}
			ruleID, jobID, reportID = r.ID, j.ID, s.ID
			return nil
		}); err != nil {
			t.Fatalf("valid rows refused: %v", err)
		}
		tests := []struct {
			name  string
			write func(tx *ent.Client) error
			field string
			msg   string
		}{
			{"rule without criteria", func(tx *ent.Client) error {
				return tx.DriftIgnoreRule.Create().SetName("all").Exec(ctx)
			}, "fieldPattern", "at least one criterion"},
			{"rule with an unknown CI kind", func(tx *ent.Client) error {
				return tx.DriftIgnoreRule.Create().SetName("k").SetCiKind("TOASTER").Exec(ctx)
			}, "ciKind", `unknown CI kind "TOASTER"`},
			{"rule with an unknown drift kind", func(tx *ent.Client) error {
				return tx.DriftIgnoreRule.Create().SetName("d").SetDriftKind("WOBBLE").Exec(ctx)
			}, "driftKind", `unknown drift kind "WOBBLE"`},
			{"rule with a bad pattern", func(tx *ent.Client) error {
				return tx.DriftIgnoreRule.Create().SetName("p").SetFieldPattern("facts.[").Exec(ctx)
			}, "fieldPattern", "bad pattern"},
			{"rule losing its last criterion", func(tx *ent.Client) error {
				return tx.DriftIgnoreRule.UpdateOneID(ruleID).ClearFieldPattern().Exec(ctx)
			}, "fieldPattern", "at least one criterion"},
			{"bulk update of rule criteria", func(tx *ent.Client) error {
				return tx.DriftIgnoreRule.Update().ClearFieldPattern().Exec(ctx)
			}, "", "bulk updates"},
			{"job with a bad cron spec", func(tx *ent.Client) error {
				return tx.DiscoveryJob.Create().SetName("j").SetSourceKind("nmap").SetSchedule("61 * * * *").Exec(ctx)
			}, "schedule", "61"},
			{"job with an unknown time zone", func(tx *ent.Client) error {
				return tx.DiscoveryJob.Create().SetName("j").SetSourceKind("nmap").SetTimeZone("Mars/Base").Exec(ctx)
			}, "timeZone", "Mars/Base"},
			{"job update to an unknown zone, checked with the stored spec", func(tx *ent.Client) error {
				return tx.DiscoveryJob.UpdateOneID(jobID).SetTimeZone("Mars/Base").Exec(ctx)
			}, "timeZone", "Mars/Base"},
			{"job with a priority out of range", func(tx *ent.Client) error {
				return tx.DiscoveryJob.UpdateOneID(jobID).SetFieldPriorities(map[string]int{"name": 1001}).Exec(ctx)
			}, "fieldPriorities", "between 0 and 1000"},
			{"schedule without a spec", func(tx *ent.Client) error {
				return tx.ReportSchedule.Create().SetName("r").SetSchedule("").SetFormats([]string{"csv"}).SetDirectory("/tmp").Exec(ctx)
			}, "schedule", ""},
			{"schedule with a bad zone", func(tx *ent.Client) error {
				return tx.ReportSchedule.UpdateOneID(reportID).SetTimeZone("Mars/Base").Exec(ctx)
			}, "timeZone", "Mars/Base"},
			{"schedule without a destination", func(tx *ent.Client) error {
				return tx.ReportSchedule.UpdateOneID(reportID).SetDirectory(" ").Exec(ctx)
			}, "directory", "needs a destination"},
			{"schedule with a non-HTTP webhook", func(tx *ent.Client) error {
				return tx.ReportSchedule.UpdateOneID(reportID).
					SetWebhooks([]schematype.WebhookDestination{{URL: "https://hooks.example/x"}, {URL: "ftp://x"}}).Exec(ctx)
			}, "webhooks[1].url", `"ftp://x"`},
			{"schedule without formats", func(tx *ent.Client) error {
				return tx.ReportSchedule.UpdateOneID(reportID).SetFormats([]string{}).Exec(ctx)
			}, "formats", "at least one format"},
			{"schedule with an unknown format", func(tx *ent.Client) error {
				return tx.ReportSchedule.UpdateOneID(reportID).SetFormats([]string{"pdf"}).Exec(ctx)
			}, "formats", `unknown format "pdf"`},
		}
		for _, tc := range tests {
			err := txn.Do(ctx, c, tc.write)
			ae, ok := apperr.As(err)
			if !ok || ae.Code != apperr.BadUserInput || ae.Field != tc.field || !strings.Contains(ae.Error(), tc.msg) {
				t.Errorf("%s: err = %v, want BAD_USER_INPUT on %q containing %q", tc.name, err, tc.field, tc.msg)
			}
		}
		// Writes that do not touch the rules pass, and nothing bad was stored.
		if err := txn.Do(ctx, c, func(tx *ent.Client) error {
			return tx.DiscoveryJob.Update().SetEnabled(false).Exec(ctx)
		}); err != nil {
			t.Fatalf("bulk update of other fields: %v", err)
		}
		j := c.DiscoveryJob.GetX(ctx, jobID)
		if j.TimeZone != "Europe/Berlin" || j.FieldPriorities["facts.*"] != 10 {
			t.Errorf("job after refused writes = %+v", j)
		}
		if n := c.DriftIgnoreRule.Query().CountX(ctx); n != 1 {
			t.Errorf("%d ignore rules, want 1", n)
		}
	})
}
