package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/cairn-cmdb/cairn/internal/sealed"
	"github.com/cairn-cmdb/cairn/internal/secret"
)

func secretCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secret",
		Short: "Manage the key that seals discovery credentials and webhook secrets",
	}
	var (
		newKeyFile string
		discard    bool
	)
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Re-seal every sealed value under a new key, in one transaction",
		Long: `Re-seal every sealed value (discovery job credentials, webhook secrets) under
a new key, in one transaction, and put the new key in the key file:

  cairn secret rotate                          # a new random key
  cairn secret rotate --new-key-file new.key   # a key you made
  cairn secret rotate --discard-unreadable     # the old key is lost for good

The old key file is kept as <key file>.old-<UTC time>. Nothing changes
unless every sealed value opens with the current key; --discard-unreadable
drops those that do not (job credentials are cleared, webhooks lose their
secret) so they can be entered again. When CAIRN_SECRET_KEY holds the key,
give --new-key-file and set CAIRN_SECRET_KEY to it afterwards.

Stop every cairn serve sharing the database first, and start them again
after: a running server keeps the key it started with.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			res, err := sealed.Rotate(ctx, db.Client, sealed.RotateOptions{
				Key:               sealed.Key{Env: os.Getenv(secret.EnvKey), File: g.keyFile()},
				NewKeyFile:        newKeyFile,
				DiscardUnreadable: discard,
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "re-sealed %d value(s) under the new key\n", res.Resealed)
			for _, d := range res.Discarded {
				fmt.Fprintf(g.stdout, "discarded %s: enter it again\n", d)
			}
			switch {
			case res.KeyFile != "":
				fmt.Fprintf(g.stdout, "the new key is in %s\n", res.KeyFile)
				if res.Backup != "" {
					fmt.Fprintf(g.stdout, "the old key is kept in %s\n", res.Backup)
				}
			default:
				fmt.Fprintf(g.stdout, "set %s to the key in %s before starting cairn again\n", secret.EnvKey, newKeyFile)
			}
			return nil
		},
	}
	rotate.Flags().StringVar(&newKeyFile, "new-key-file", "", "file holding the new key (64 hex digits or base64 of 32 bytes); default: a new random key")
	rotate.Flags().BoolVar(&discard, "discard-unreadable", false, "drop the sealed values the current key does not open (all of them when the key is lost) instead of refusing")
	cmd.AddCommand(rotate)
	return cmd
}
