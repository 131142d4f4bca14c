package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	entincident "github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/ent/service"
	"github.com/cairn-cmdb/cairn/internal/incident"
)

// Incident events sent to the webhooks (Notification.Event).
const (
	EventOpened    = "incident.opened"
	EventEscalated = "incident.escalated"
	EventResolved  = "incident.resolved"
	EventReopened  = "incident.reopened"
)

// HeaderEvent names the event of a notification, besides its body.
const HeaderEvent = "X-Cairn-Event"

// notifyQueue bounds the notifications waiting for delivery; past it, new
// ones are dropped with a log record, so that neither intake nor a
// person's action ever waits on a webhook.
const notifyQueue = 1024

// maxNotifiedCIs bounds the alerted CIs listed in a notification (a storm
// has thousands); Incident.ConfigurationItemCount counts them all.
const maxNotifiedCIs = 20

// defaultTick is how often Run checks for incidents to escalate and
// compacts the correlation engine.
const defaultTick = 30 * time.Second

// background is the state Run drives. Its zero value is ready: the queue
// is made on first use. New starts nothing; Run delivers what notify
// queued (also what was queued before Run started, up to notifyQueue).
type background struct {
	once    sync.Once
	queue   chan notification
	running atomic.Bool
	// tick overrides defaultTick (tests).
	tick time.Duration
}

func (b *background) ch() chan notification {
	b.once.Do(func() { b.queue = make(chan notification, notifyQueue) })
	return b.queue
}

// notification is one queued event about one incident.
type notification struct {
	event    string
	incident int
	at       time.Time
}

// notify queues event for each incident, for Run to deliver to
// Config.Webhooks, and returns at once. Call it after the change has
// committed (txn.AfterCommit). The body is built when the notification is
// sent (normally milliseconds later), from the incident as stored then.
// Nothing is queued without webhooks; a full queue drops the event with a
// log record. Delivery failures are logged, never returned.
func (s *Service) notify(ctx context.Context, event string, incidentIDs ...int) {
	if len(s.cfg.Webhooks) == 0 || len(incidentIDs) == 0 {
		return
	}
	at := s.nowUTC()
	q := s.bg.ch()
	for _, id := range incidentIDs {
		select {
		case q <- notification{event: event, incident: id, at: at}:
		default:
			s.log.WarnContext(ctx, "incident notification dropped: queue full",
				"event", event, "incident", id, "queue", notifyQueue)
		}
	}
}

// deliverLoop sends queued notifications, one at a time, until ctx ends;
// what is still queued then stays for the next Run (a process ending
// loses it, with a log record).
func (s *Service) deliverLoop(ctx context.Context) {
	q := s.bg.ch()
	for {
		select {
		case <-ctx.Done():
			if n := len(q); n > 0 {
				s.log.Warn("incident notifications not sent: stopping", "pending", n)
			}
			return
		case n := <-q:
			s.deliver(ctx, n)
		}
	}
}

// deliver builds n's body and posts it to every webhook in turn. Failures
// are logged.
func (s *Service) deliver(ctx context.Context, n notification) {
	body, err := s.notificationBody(ctx, n)
	if err != nil {
		s.log.ErrorContext(ctx, "incident notification not sent: building its body",
			"event", n.event, "incident", n.incident, "err", err)
		return
	}
	for _, h := range s.cfg.Webhooks {
		if h.Logger == nil {
			h.Logger = s.log
		}
		res, err := h.Post(ctx, body, map[string]string{HeaderEvent: n.event})
		if err != nil {
			s.log.WarnContext(ctx, "incident notification failed",
				"event", n.event, "incident", n.incident, "attempts", res.Attempts, "delivery", res.Delivery, "err", err)
			continue
		}
		s.log.DebugContext(ctx, "incident notification sent",
			"event", n.event, "incident", n.incident, "delivery", res.Delivery)
	}
}

// Notification is the JSON body of an incident event posted to the
// webhooks (signed in X-Cairn-Signature, event also in X-Cairn-Event).
// Times are RFC 3339 in UTC; absent values are null.
type Notification struct {
	// Event is incident.opened, incident.escalated, incident.resolved or
	// incident.reopened.
	Event string `json:"event"`
	// At is when the event happened.
	At       time.Time            `json:"at"`
	Incident NotificationIncident `json:"incident"`
	// TopCandidate is the most probable cause, null when there is none.
	TopCandidate *NotificationCandidate `json:"topCandidate"`
}

// NotificationIncident is the incident of a Notification, as stored when
// the notification was sent.
type NotificationIncident struct {
	ID     int    `json:"id"`
	Title  string `json:"title"`
	Status string `json:"status"`
	// URL is the incident's page in the console, relative to Cairn's
	// address.
	URL             string     `json:"url"`
	OpenedAt        time.Time  `json:"openedAt"`
	FirstAlertAt    time.Time  `json:"firstAlertAt"`
	LastAlertAt     time.Time  `json:"lastAlertAt"`
	ImpactStartedAt *time.Time `json:"impactStartedAt"`
	AcknowledgedAt  *time.Time `json:"acknowledgedAt"`
	AcknowledgedBy  *string    `json:"acknowledgedBy"`
	EscalatedAt     *time.Time `json:"escalatedAt"`
	ResolvedAt      *time.Time `json:"resolvedAt"`
	ResolvedBy      *string    `json:"resolvedBy"`
	Note            *string    `json:"note"`
	AlertCount      int        `json:"alertCount"`
	FiringCount     int        `json:"firingCount"`
	// ServiceLabel is the service label of an incident of unbound alerts.
	ServiceLabel *string `json:"serviceLabel"`
	// ConfigurationItems are the alerted CIs, by name, at most 20;
	// ConfigurationItemCount counts them all.
	ConfigurationItems     []NotificationCI `json:"configurationItems"`
	ConfigurationItemCount int              `json:"configurationItemCount"`
	// ImpactedServices are the services hit, most critical (lowest tier)
	// first.
	ImpactedServices []NotificationService `json:"impactedServices"`
}

// NotificationCI names a CI.
type NotificationCI struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// NotificationService is an impacted service.
type NotificationService struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	Tier int    `json:"tier"`
	// SLOTarget is the availability objective in percent.
	SLOTarget *float64 `json:"sloTarget"`
}

// NotificationCandidate is the top probable cause and what a responder
// needs about it: internal/incident's context of the CI (owner and
// on-call, its team, support contracts in force with their SLA, warranty).
type NotificationCandidate struct {
	NotificationCI
	Score   float64  `json:"score"`
	Alerted bool     `json:"alerted"`
	Reasons []string `json:"reasons"`
	// Owner and Team (the owner's team, when the owner is a person).
	Owner            *NotificationContact   `json:"owner"`
	Team             *NotificationContact   `json:"team"`
	SupportContracts []NotificationContract `json:"supportContracts"`
	Warranty         *NotificationWarranty  `json:"warranty"`
}

// NotificationContact is an owner: who to call.
type NotificationContact struct {
	Name          string  `json:"name"`
	Kind          string  `json:"kind"`
	Email         *string `json:"email"`
	OncallContact *string `json:"oncallContact"`
	Escalation    *string `json:"escalation"`
	ChatChannel   *string `json:"chatChannel"`
}

// NotificationContract is a support, maintenance or warranty contract in
// force covering the candidate.
type NotificationContract struct {
	Number             string    `json:"number"`
	Name               *string   `json:"name"`
	Kind               string    `json:"kind"`
	Vendor             *string   `json:"vendor"`
	EndDate            time.Time `json:"endDate"`
	SLAResponseMinutes *int      `json:"slaResponseMinutes"`
	SupportContact     *string   `json:"supportContact"`
}

// NotificationWarranty is the candidate's warranty at the event.
type NotificationWarranty struct {
	Active   bool      `json:"active"`
	EndDate  time.Time `json:"endDate"`
	DaysLeft int       `json:"daysLeft"`
	// Contract is the number of the WARRANTY contract it comes from, null
	// when it comes from the asset record.
	Contract *string `json:"contract"`
}

// notificationBody loads what n tells and encodes it: the incident with its
// services (two statements), its alerted CIs (two), and the top
// candidate's context through internal/incident (a constant number more).
func (s *Service) notificationBody(ctx context.Context, n notification) ([]byte, error) {
	msg, err := s.notification(ctx, n)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("encoding notification: %w", err)
	}
	return b, nil
}

func (s *Service) notification(ctx context.Context, n notification) (*Notification, error) {
	inc, err := s.client.Incident.Query().Where(entincident.ID(n.incident)).
		WithServices(func(q *ent.ServiceQuery) {
			q.Select(service.FieldName, service.FieldTier, service.FieldSloTarget).
				Order(service.ByTier(), service.ByName(), service.ByID())
		}).Only(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading incident %d: %w", n.incident, err)
	}
	alerted := inc.QueryConfigurationItems()
	count, err := alerted.Clone().Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("counting the alerted CIs of incident %d: %w", n.incident, err)
	}
	cis, err := alerted.Select(configurationitem.FieldName, configurationitem.FieldKind).
		Order(configurationitem.ByName(), configurationitem.ByID()).Limit(maxNotifiedCIs).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading the alerted CIs of incident %d: %w", n.incident, err)
	}
	msg := &Notification{Event: n.event, At: n.at.UTC(), Incident: NotificationIncident{
		ID: inc.ID, Title: inc.Title, Status: string(inc.Status), URL: "/incidents/" + strconv.Itoa(inc.ID),
		OpenedAt: inc.OpenedAt.UTC(), FirstAlertAt: inc.FirstAlertAt.UTC(), LastAlertAt: inc.LastAlertAt.UTC(),
		ImpactStartedAt: utc(inc.ImpactStartedAt), AcknowledgedAt: utc(inc.AcknowledgedAt), AcknowledgedBy: inc.AcknowledgedBy,
		EscalatedAt: utc(inc.EscalatedAt), ResolvedAt: utc(inc.ResolvedAt), ResolvedBy: inc.ResolvedBy, Note: inc.Note,
		AlertCount: inc.AlertCount, FiringCount: inc.FiringCount, ServiceLabel: inc.ServiceLabel,
		ConfigurationItems: make([]NotificationCI, 0, len(cis)), ConfigurationItemCount: count,
		ImpactedServices: make([]NotificationService, 0, len(inc.Edges.Services)),
	}}
	for _, c := range cis {
		msg.Incident.ConfigurationItems = append(msg.Incident.ConfigurationItems, NotificationCI{ID: c.ID, Name: c.Name, Kind: string(c.Kind)})
	}
	for _, sv := range inc.Edges.Services {
		msg.Incident.ImpactedServices = append(msg.Incident.ImpactedServices,
			NotificationService{ID: sv.ID, Name: sv.Name, Tier: sv.Tier, SLOTarget: sv.SloTarget})
	}
	if inc.TopCandidateID != nil {
		msg.TopCandidate, err = s.candidate(ctx, inc, n.at.UTC())
		if err != nil {
			return nil, err
		}
	}
	return msg, nil
}

// candidate is the top candidate of inc with its incident context at at.
// A part of the context that fails to load is left out (logged), so the
// notification still goes out.
func (s *Service) candidate(ctx context.Context, inc *ent.Incident, at time.Time) (*NotificationCandidate, error) {
	id := *inc.TopCandidateID
	parts := incident.Parts{
		Owner: func(q *ent.OwnerQuery) (*ent.OwnerQuery, error) { return q, nil },
		Team:  func(q *ent.OwnerQuery) (*ent.OwnerQuery, error) { return q, nil },
		SupportContracts: func(q *ent.ContractQuery) (*ent.ContractQuery, error) {
			return q.WithVendor(), nil
		},
		Warranty: true,
		PartFailed: func(part string, err error) {
			s.log.WarnContext(ctx, "incident notification: part of the candidate's context left out",
				"incident", inc.ID, "ci", id, "part", part, "err", err)
		},
	}
	ic, err := incident.New(s.client, s.db).Context(ctx, incident.Request{CI: &id, AsOf: &at}, parts)
	if err != nil {
		return nil, fmt.Errorf("incident context of CI %d: %w", id, err)
	}
	if ic == nil { // the CI was deleted since
		return nil, nil
	}
	c := &NotificationCandidate{
		NotificationCI:   NotificationCI{ID: ic.CI.ID, Name: ic.CI.Name, Kind: string(ic.CI.Kind)},
		Reasons:          []string{},
		Owner:            contact(ic.Owner),
		Team:             contact(ic.Team),
		SupportContracts: make([]NotificationContract, 0, len(ic.SupportContracts)),
	}
	for _, cc := range inc.Candidates {
		if cc.CI == id {
			c.Score, c.Alerted = cc.Score, cc.Alerted
			if cc.Reasons != nil {
				c.Reasons = cc.Reasons
			}
			break
		}
	}
	for _, k := range ic.SupportContracts {
		nc := NotificationContract{Number: k.Number, Name: k.Name, Kind: string(k.Kind), EndDate: k.EndDate.UTC(),
			SLAResponseMinutes: k.SLAResponseMinutes, SupportContact: k.SupportContact}
		if v := k.Edges.Vendor; v != nil {
			nc.Vendor = &v.Name
		}
		c.SupportContracts = append(c.SupportContracts, nc)
	}
	if w := ic.Warranty; w != nil {
		c.Warranty = &NotificationWarranty{Active: w.Active, EndDate: w.EndDate.UTC(), DaysLeft: w.DaysLeft}
		if w.Contract != nil {
			c.Warranty.Contract = &w.Contract.Number
		}
	}
	return c, nil
}

func contact(o *ent.Owner) *NotificationContact {
	if o == nil {
		return nil
	}
	return &NotificationContact{Name: o.Name, Kind: string(o.Kind), Email: o.Email,
		OncallContact: o.OncallContact, Escalation: o.Escalation, ChatChannel: o.ChatChannel}
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// nowUTC is the service's clock (Config.Now, else time.Now) in UTC.
func (s *Service) nowUTC() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now().UTC()
	}
	return time.Now().UTC()
}
