package graph

import (
	"context"

	"github.com/cairn-cmdb/cairn/graph/model"
	"github.com/cairn-cmdb/cairn/internal/apperr"
)

func (r *Resolver) cmdbHealth(ctx context.Context, staleDays, expiringDays *int) (*model.CMDBHealth, error) {
	return nil, apperr.New(apperr.Internal, "cmdbHealth is not available yet")
}
