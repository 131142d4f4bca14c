package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/cairn-cmdb/cairn/internal/alerts"
	"github.com/cairn-cmdb/cairn/internal/app"
)

// startAlerts builds the alert service (rebuilding its correlation from
// the stored alerts) and runs its background work (escalation, webhook
// deliveries, compaction) until stop, which waits for it to end.
func startAlerts(ctx context.Context, db *app.DB, cfg alerts.Config, log *slog.Logger) (*alerts.Service, func(), error) {
	svc, err := alerts.New(ctx, db.Client, db.Store, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("starting the alert service: %w", err)
	}
	done := make(chan error, 1)
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	go func() { done <- svc.Run(rctx) }()
	return svc, func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			log.Warn("stopping the alert service", "err", err)
		}
	}, nil
}
