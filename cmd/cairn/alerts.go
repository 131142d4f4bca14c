package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/cairn-cmdb/cairn/internal/alerts/correlate"
	"github.com/cairn-cmdb/cairn/internal/alerts/replay"
)

func alertsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "Work with monitoring alerts (preview: replay recorded alerts)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(alertsReplayCmd(g))
	return cmd
}

func alertsReplayCmd(g *globals) *cobra.Command {
	var (
		file, format string
		asJSON       bool
		s            = correlate.DefaultSettings()
	)
	cmd := &cobra.Command{
		Use:   "replay --file alerts.json",
		Short: "Correlate recorded alerts against the current graph and print the incidents they would form, storing nothing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return fmt.Errorf("--file is required: a recorded Alertmanager payload, an array of them, or an array of alerts")
			}
			if format != replay.FormatAlertmanager && format != replay.FormatAlerts && format != "detect" {
				return fmt.Errorf("--format %q: want alertmanager, alerts or detect", format)
			}
			if err := s.Validate(); err != nil {
				return err
			}
			data, err := os.ReadFile(file)
			if err != nil {
				return fmt.Errorf("reading --file: %w", err)
			}
			f := format
			if f == "detect" {
				f = replay.FormatDetect
			}
			alerts, err := replay.Parse(data, f, time.Now())
			if err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
			db, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			rep, err := replay.Run(cmd.Context(), db.Client, db.Store, alerts, s)
			if err != nil {
				return fmt.Errorf("replaying %s: %w", file, err)
			}
			if asJSON {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			return replay.WriteText(g.stdout, rep)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&file, "file", "", "the recorded alerts (JSON)")
	fl.StringVar(&format, "format", "detect", "alertmanager (a webhook payload or an array of them), alerts (an array of alerts) or detect")
	fl.IntVar(&s.Hops, "hops", correlate.DefaultHops, "how many dependency hops relate two alerts (H)")
	fl.DurationVar(&s.Window, "window", correlate.DefaultWindow, "how far apart alert starts may be to join an incident (W)")
	fl.DurationVar(&s.Quiet, "quiet", correlate.DefaultQuiet, "how long an incident takes new CIs after its last alert joined (L)")
	fl.BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}
