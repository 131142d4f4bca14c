package awstest

import (
	"bytes"
	"embed"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"
)

//go:embed templates
var templateFS embed.FS

// Credentials the server expects by default, and those it hands out for
// an assumed role.
const (
	AccessKeyID     = "AKIAIOSFODNN7EXAMPLE"
	SecretAccessKey = "wJalrXUtnEXAMPLEKEY"
	AssumedKeyID    = "ASIAIOSFODNN7ASSUMED"
	AssumedSecret   = "assumedSecretEXAMPLEKEY"
	AssumedToken    = "FwoGZXIvYXdzEXAMPLE-session-token"
)

// Now is the time stamp of the served documents' attach and create times.
var Now = time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)

// Request is one request the server answered, as it routed it.
type Request struct {
	Region, Service, Action string
	KeyID                   string
	// Params are the query protocol's form values or the URL query.
	Params map[string]string
}

// fault is an error answer given instead of the document.
type fault struct {
	code   string
	status int
	times  int // answers left; <0 forever
}

// Server is an Account served on 127.0.0.1.
type Server struct {
	*httptest.Server
	account *Account
	tmpl    *template.Template

	mu       sync.Mutex
	requests []Request
	faults   map[string]*fault // "region/Action"
	delays   map[string]time.Duration
	refused  []string
	keyID    string
	// roles are the role ARNs that may be assumed; externalIDs theirs.
	roles map[string]string
}

// NewServer serves a on a new loopback listener; Close it when done.
func NewServer(a *Account) *Server {
	s := &Server{account: a, faults: map[string]*fault{}, delays: map[string]time.Duration{}, keyID: AccessKeyID, roles: map[string]string{}}
	s.tmpl = template.Must(template.New("").Funcs(s.funcs()).ParseFS(templateFS, "templates/*"))
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// AllowRole lets the role roleARN be assumed with externalID ("" for
// none).
func (s *Server) AllowRole(roleARN, externalID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roles[roleARN] = externalID
}

// Throttle answers the next times calls of action in region (region "*"
// for every region; times < 0 for ever) with the service's throttling
// error: RequestLimitExceeded (EC2), Throttling (ELBv2, RDS, STS),
// SlowDown (S3), TooManyRequestsException (Lambda).
func (s *Server) Throttle(region, action string, times int) {
	s.Fail(region, action, "", 0, times)
}

// Fail answers the next times calls of action in region with the error
// code and HTTP status (code "" for the service's throttling error).
func (s *Server) Fail(region, action, code string, status, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[region+"/"+action] = &fault{code: code, status: status, times: times}
}

// Delay holds every answer to action in region (region "*" for every
// region) for d, or until the client gives up.
func (s *Server) Delay(region, action string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delays[region+"/"+action] = d
}

// Requests returns the requests answered so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count returns how many calls of action in region were answered
// (throttled ones included).
func (s *Server) Count(region, action string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Region == region && r.Action == action {
			n++
		}
	}
	return n
}

// Refused returns why requests were refused as unsigned or signed with
// an unknown key.
func (s *Server) Refused() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.refused...)
}

// scopeRE reads the SigV4 credential scope of an Authorization header.
var scopeRE = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([A-Z0-9]+)/(\d{8})/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request, ?SignedHeaders=[a-z0-9;-]+, ?Signature=[0-9a-f]{64}$`)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	m := scopeRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		s.refuse(w, fmt.Sprintf("%s %s: not signed with SigV4: %q", r.Method, r.URL.Path, r.Header.Get("Authorization")))
		return
	}
	key, region, service := m[1], m[3], m[4]
	s.mu.Lock()
	okKey := key == s.keyID || key == AssumedKeyID && r.Header.Get("X-Amz-Security-Token") == AssumedToken
	s.mu.Unlock()
	if !okKey {
		s.refuse(w, fmt.Sprintf("%s %s: signed with unknown key %s", r.Method, r.URL.Path, key))
		return
	}
	req := Request{Region: region, Service: service, KeyID: key, Params: map[string]string{}}
	switch service {
	case "ec2", "elasticloadbalancing", "rds", "sts":
		if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad query request", http.StatusBadRequest)
			return
		}
		for k, v := range r.PostForm {
			req.Params[k] = v[0]
		}
		req.Action = req.Params["Action"]
	case "s3":
		for k, v := range r.URL.Query() {
			req.Params[k] = v[0]
		}
		if r.Method == http.MethodGet && r.URL.Path == "/" {
			req.Action = "ListBuckets"
		}
	case "lambda":
		for k, v := range r.URL.Query() {
			req.Params[k] = v[0]
		}
		if r.Method == http.MethodGet && strings.TrimSuffix(r.URL.Path, "/") == "/2015-03-31/functions" {
			req.Action = "ListFunctions"
		}
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	f := s.faults[region+"/"+req.Action]
	if f == nil {
		f = s.faults["*/"+req.Action]
	}
	fire := f != nil && f.times != 0
	if fire && f.times > 0 {
		f.times--
	}
	var code string
	var status int
	if fire {
		code, status = f.code, f.status
	}
	delay, ok := s.delays[region+"/"+req.Action]
	if !ok {
		delay = s.delays["*/"+req.Action]
	}
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if fire {
		s.fail(w, service, code, status)
		return
	}
	reg := s.account.Regions[region]
	if reg == nil {
		reg = &Region{}
	}
	s.answer(w, req, reg)
}

func (s *Server) refuse(w http.ResponseWriter, why string) {
	s.mu.Lock()
	s.refused = append(s.refused, why)
	s.mu.Unlock()
	http.Error(w, why, http.StatusForbidden)
}

// page returns the slice of n items a request's token and limit select,
// and the token of the next page ("" for the last).
func (s *Server) page(n int, token, limit string) (from, to int, next string) {
	size := s.account.PageSize
	if size <= 0 {
		size = 1000
	}
	if l, err := strconv.Atoi(limit); err == nil && l > 0 && l < size {
		size = l
	}
	if token != "" {
		from, _ = strconv.Atoi(strings.TrimPrefix(token, "page-"))
		from = min(max(from, 0), n)
	}
	to = min(from+size, n)
	if to < n {
		next = "page-" + strconv.Itoa(to)
	}
	return from, to, next
}

// doc is what a template renders.
type doc struct {
	RequestID string
	Account   string
	Region    string
	Now       time.Time
	Items     any
	Next      string
	// errors
	Code, Message, Namespace string
	// STS
	Arn, UserID, Session, KeyID, Secret, Token string
	Expiration                                 time.Time
}

// reservation is one DescribeInstances reservation.
type reservation struct {
	ID        string
	Instances []Instance
}

func reservations(in []Instance) []reservation {
	var out []reservation
	at := map[string]int{}
	for _, i := range in {
		id := i.ReservationID
		if id == "" {
			id = "r-" + strings.TrimPrefix(i.ID, "i-")
		} else if k, ok := at[id]; ok {
			out[k].Instances = append(out[k].Instances, i)
			continue
		}
		at[id] = len(out)
		out = append(out, reservation{ID: id, Instances: []Instance{i}})
	}
	return out
}

func (s *Server) answer(w http.ResponseWriter, req Request, reg *Region) {
	d := doc{RequestID: "c0ffee00-" + strconv.Itoa(len(s.Requests())), Account: s.account.ID, Region: req.Region, Now: Now}
	p := req.Params
	var name, ctype = "", "text/xml"
	switch req.Service + "/" + req.Action {
	case "ec2/DescribeInstances":
		rs := reservations(reg.Instances)
		from, to, next := s.page(len(rs), p["NextToken"], p["MaxResults"])
		d.Items, d.Next, name = rs[from:to], next, "ec2-DescribeInstances.xml"
	case "ec2/DescribeVolumes":
		from, to, next := s.page(len(reg.Volumes), p["NextToken"], p["MaxResults"])
		d.Items, d.Next, name = reg.Volumes[from:to], next, "ec2-DescribeVolumes.xml"
	case "ec2/DescribeVpcs":
		from, to, next := s.page(len(reg.VPCs), p["NextToken"], p["MaxResults"])
		d.Items, d.Next, name = reg.VPCs[from:to], next, "ec2-DescribeVpcs.xml"
	case "ec2/DescribeSubnets":
		from, to, next := s.page(len(reg.Subnets), p["NextToken"], p["MaxResults"])
		d.Items, d.Next, name = reg.Subnets[from:to], next, "ec2-DescribeSubnets.xml"
	case "elasticloadbalancing/DescribeLoadBalancers":
		from, to, next := s.page(len(reg.LoadBalancers), p["Marker"], p["PageSize"])
		d.Items, d.Next, name = reg.LoadBalancers[from:to], next, "elb-DescribeLoadBalancers.xml"
	case "elasticloadbalancing/DescribeTags":
		var lbs []LoadBalancer
		for i := 1; p["ResourceArns.member."+strconv.Itoa(i)] != ""; i++ {
			for _, lb := range reg.LoadBalancers {
				if LoadBalancerARN(s.account.ID, req.Region, lb) == p["ResourceArns.member."+strconv.Itoa(i)] {
					lbs = append(lbs, lb)
				}
			}
		}
		d.Items, name = lbs, "elb-DescribeTags.xml"
	case "elasticloadbalancing/DescribeTargetGroups":
		from, to, next := s.page(len(reg.TargetGroups), p["Marker"], p["PageSize"])
		d.Items, d.Next, name = reg.TargetGroups[from:to], next, "elb-DescribeTargetGroups.xml"
	case "elasticloadbalancing/DescribeTargetHealth":
		var targets []Target
		found := false
		for _, tg := range reg.TargetGroups {
			if TargetGroupARN(s.account.ID, req.Region, tg) == p["TargetGroupArn"] {
				targets, found = tg.Targets, true
			}
		}
		if !found {
			s.fail(w, req.Service, "TargetGroupNotFound", http.StatusBadRequest)
			return
		}
		d.Items, name = targets, "elb-DescribeTargetHealth.xml"
	case "rds/DescribeDBInstances":
		from, to, next := s.page(len(reg.DBInstances), p["Marker"], p["MaxRecords"])
		d.Items, d.Next, name = reg.DBInstances[from:to], next, "rds-DescribeDBInstances.xml"
	case "s3/ListBuckets":
		var buckets []Bucket
		if br := p["bucket-region"]; br == "" || br == req.Region {
			buckets = reg.Buckets
		}
		from, to, next := s.page(len(buckets), p["continuation-token"], p["max-buckets"])
		d.Items, d.Next, name = buckets[from:to], next, "s3-ListBuckets.xml"
		ctype = "application/xml"
	case "lambda/ListFunctions":
		from, to, next := s.page(len(reg.Functions), p["Marker"], p["MaxItems"])
		d.Items, d.Next, name = reg.Functions[from:to], next, "lambda-ListFunctions.json"
		ctype = "application/json"
	case "sts/GetCallerIdentity":
		d.Arn, d.UserID, name = "arn:aws:iam::"+s.account.ID+":user/cairn-discovery", "AIDACKCEVSQ6C2EXAMPLE", "sts-GetCallerIdentity.xml"
		if req.KeyID == AssumedKeyID {
			d.Arn = "arn:aws:sts::" + s.account.ID + ":assumed-role/cairn-discovery/cairn-discovery"
		}
	case "sts/AssumeRole":
		s.mu.Lock()
		ext, ok := s.roles[p["RoleArn"]]
		s.mu.Unlock()
		if !ok || ext != p["ExternalId"] {
			s.fail(w, req.Service, "AccessDenied", http.StatusForbidden)
			return
		}
		role := p["RoleArn"][strings.LastIndexByte(p["RoleArn"], '/')+1:]
		d.Arn = "arn:aws:sts::" + s.account.ID + ":assumed-role/" + role + "/" + p["RoleSessionName"]
		d.Session, d.KeyID, d.Secret, d.Token = p["RoleSessionName"], AssumedKeyID, AssumedSecret, AssumedToken
		d.Expiration, name = time.Now().Add(time.Hour).UTC(), "sts-AssumeRole.xml"
	default:
		http.Error(w, fmt.Sprintf("awstest: no %s operation %q", req.Service, req.Action), http.StatusNotImplemented)
		return
	}
	s.render(w, name, ctype, http.StatusOK, d)
}

func (s *Server) render(w http.ResponseWriter, name, ctype string, status int, d doc) {
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, d); err != nil {
		http.Error(w, "awstest: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("x-amzn-RequestId", d.RequestID)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail answers with the service's error document; code "" is its
// throttling error.
func (s *Server) fail(w http.ResponseWriter, service, code string, status int) {
	d := doc{RequestID: "fa11ed00-" + strconv.Itoa(len(s.Requests())), Code: code, Message: code}
	throttle := code == ""
	switch service {
	case "ec2":
		if throttle {
			d.Code, d.Message, status = "RequestLimitExceeded", "Request limit exceeded.", http.StatusBadRequest
		}
		s.render(w, "ec2-error.xml", "text/xml", status, d)
	case "s3":
		if throttle {
			d.Code, d.Message, status = "SlowDown", "Please reduce your request rate.", http.StatusServiceUnavailable
		}
		s.render(w, "s3-error.xml", "application/xml", status, d)
	case "lambda":
		if throttle {
			d.Code, d.Message, status = "TooManyRequestsException", "Rate exceeded", http.StatusTooManyRequests
		}
		w.Header().Set("X-Amzn-ErrorType", d.Code)
		s.render(w, "lambda-error.json", "application/json", status, d)
	default:
		if throttle {
			d.Code, d.Message, status = "Throttling", "Rate exceeded", http.StatusBadRequest
		}
		d.Namespace = map[string]string{
			"elasticloadbalancing": "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
			"rds":                  "http://rds.amazonaws.com/doc/2014-10-31/",
			"sts":                  "https://sts.amazonaws.com/doc/2011-06-15/",
		}[service]
		s.render(w, "query-error.xml", "text/xml", status, d)
	}
}

func (s *Server) funcs() template.FuncMap {
	return template.FuncMap{
		"x": func(v string) string {
			var b strings.Builder
			_ = xml.EscapeText(&b, []byte(v))
			return b.String()
		},
		"j": func(v string) string {
			b, _ := json.Marshal(v)
			return string(b)
		},
		"iso": func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") },
		"first": func(v []string) string {
			if len(v) == 0 {
				return ""
			}
			return v[0]
		},
		"stateCode": func(state string) int {
			return map[string]int{"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}[state]
		},
		"zoneID": func(zone string) string {
			if zone == "" {
				return ""
			}
			return "use1-az" + strconv.Itoa(int(zone[len(zone)-1]-'a'+1))
		},
		"lbARN": func(lb LoadBalancer) string {
			return LoadBalancerARN(s.account.ID, s.regionOf(lb.Name), lb)
		},
		"lbDNS": func(lb LoadBalancer) string { return DNSName(s.regionOf(lb.Name), lb) },
		"lbARNByName": func(name string) string {
			region := s.regionOf(name)
			for _, lb := range s.account.Regions[region].LoadBalancers {
				if lb.Name == name {
					return LoadBalancerARN(s.account.ID, region, lb)
				}
			}
			return ""
		},
		"tgARN": func(tg TargetGroup) string {
			for region, r := range s.account.Regions {
				for _, t := range r.TargetGroups {
					if t.Name == tg.Name {
						return TargetGroupARN(s.account.ID, region, tg)
					}
				}
			}
			return ""
		},
		"subnetZone": func(id string) string {
			for _, r := range s.account.Regions {
				for _, sn := range r.Subnets {
					if sn.ID == id {
						return sn.Zone
					}
				}
			}
			return ""
		},
	}
}

// regionOf returns the region holding the load balancer called name
// (names are unique within the served account).
func (s *Server) regionOf(name string) string {
	for region, r := range s.account.Regions {
		for _, lb := range r.LoadBalancers {
			if lb.Name == name {
				return region
			}
		}
	}
	return ""
}
