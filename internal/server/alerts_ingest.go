package server

import (
	"context"
	"slices"
	"strconv"

	"github.com/cairn-cmdb/cairn/ent/alert"
	"github.com/cairn-cmdb/cairn/internal/alerts"
	"github.com/cairn-cmdb/cairn/internal/alerts/intake"
)

// ingestAlerts parses body as rt's payload (a parseError when it is bad:
// nothing stored) and hands the batch to the alert service, which stores
// it in one transaction. It returns the alerts received and the answer.
func (s *Server) ingestAlerts(ctx context.Context, rt alertRoute, body []byte) (int, any, error) {
	var batch alerts.Batch
	if rt.alertmanager {
		n, err := intake.ParseAlertmanager(body, s.intakeOptions())
		if err != nil {
			return 0, nil, asParseError(err)
		}
		batch = alerts.Batch{Source: alert.SourceAlertmanager, Receiver: n.Receiver, Alerts: n.Alerts}
	} else {
		as, err := intake.ParseAlerts(body, s.intakeOptions())
		if err != nil {
			return 0, nil, asParseError(err)
		}
		batch = alerts.Batch{Source: alert.SourceAPI, Alerts: as}
	}
	res, err := s.cfg.Alerts.Ingest(ctx, batch)
	if err != nil {
		return len(batch.Alerts), nil, err
	}
	return len(batch.Alerts), answerOf(res), nil
}

// ingestAnswer is the body of a successful intake: the counts of
// alerts.IngestResult and the incidents the batch opened or changed, as
// the IDs node(id:) takes.
type ingestAnswer struct {
	Received   int `json:"received"`
	Created    int `json:"created"`
	Updated    int `json:"updated"`
	Resolved   int `json:"resolved"`
	Unbound    int `json:"unbound"`
	Suppressed int `json:"suppressed"`
	Flapping   int `json:"flapping"`
	// Incidents the batch opened or changed, ascending; Opened those it
	// opened.
	Incidents []string `json:"incidents"`
	Opened    []string `json:"opened"`
}

func answerOf(r alerts.IngestResult) ingestAnswer {
	ids := func(in []int) []string {
		out := make([]string, 0, len(in))
		for _, id := range in {
			out = append(out, strconv.Itoa(id))
		}
		return out
	}
	all := slices.Concat(r.Opened, r.Changed)
	slices.Sort(all)
	return ingestAnswer{Received: r.Received, Created: r.Created, Updated: r.Updated, Resolved: r.Resolved,
		Unbound: r.Unbound, Suppressed: r.Suppressed, Flapping: r.Flapping,
		Incidents: ids(slices.Compact(all)), Opened: ids(r.Opened)}
}
