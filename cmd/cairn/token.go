package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/apitoken"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/textsafe"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

func tokenCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Manage API tokens directly in the database"}
	var (
		name, role string
		ttl        time.Duration
	)
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a token and print its secret on stdout (shown once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r := apitoken.Role(strings.ToUpper(role))
			if err := apitoken.RoleValidator(r); err != nil {
				return fmt.Errorf("--role %q: want ingest, viewer, editor or admin", role)
			}
			var exp *time.Time
			if ttl < 0 {
				return fmt.Errorf("--expires-in %s: must not be negative", ttl)
			}
			if ttl > 0 {
				t := time.Now().Add(ttl)
				exp = &t
			}
			db, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			ctx := audit.WithActor(cmd.Context(), "cli")
			secret, _, err := auth.CreateToken(ctx, db.Client, name, r, exp)
			if err != nil {
				return userError(err)
			}
			fmt.Fprintln(g.stdout, secret)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "token name, shown as the audit actor (required)")
	create.Flags().StringVar(&role, "role", "viewer", "ingest (only sends alerts to /api/v1/alerts…; reads nothing), viewer (reads), editor (reads and changes the inventory) or admin (also tokens, discovery jobs, reports)")
	create.Flags().DurationVar(&ttl, "expires-in", 0, "lifetime, e.g. 720h; 0 never expires")
	_ = create.MarkFlagRequired("name")

	list := &cobra.Command{
		Use:   "list",
		Short: "List tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			toks, err := db.Client.APIToken.Query().Order(apitoken.ByName()).All(cmd.Context())
			if err != nil {
				return fmt.Errorf("listing tokens: %w", err)
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tROLE\tPREFIX\tEXPIRES\tLAST USED")
			for _, t := range toks {
				// Names are checked when written (textsafe.CheckName); an
				// older database may still hold one that would steer the
				// terminal or break the columns, so it is shown escaped.
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s…\t%s\t%s\n", t.ID, textsafe.Display(t.Name), t.Role,
					textsafe.Display(t.Prefix), fmtTime(t.ExpiresAt), fmtTime(t.LastUsedAt))
			}
			return tw.Flush()
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke (delete) a token by name",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			ctx := audit.WithActor(cmd.Context(), "cli")
			return txn.Do(ctx, db.Client, func(tx *ent.Client) error {
				n, err := tx.APIToken.Delete().Where(apitoken.Name(args[0])).Exec(ctx)
				if err != nil {
					return fmt.Errorf("revoking token %q: %w", args[0], err)
				}
				if n == 0 {
					return fmt.Errorf("no token named %q", args[0])
				}
				fmt.Fprintf(g.stdout, "revoked token %q\n", args[0])
				return nil
			})
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
