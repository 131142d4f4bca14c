//go:build !h3wip

package main

import (
	"context"
	"log/slog"

	"github.com/cairn-cmdb/cairn/internal/alerts"
	"github.com/cairn-cmdb/cairn/internal/app"
)

// startAlerts waits for alerts.New (issue 15, in progress): no intake yet.
func startAlerts(ctx context.Context, db *app.DB, cfg alerts.Config, log *slog.Logger) (*alerts.Service, func(), error) {
	return nil, func() {}, nil
}
