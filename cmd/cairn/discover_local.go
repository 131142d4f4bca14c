package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/local"
)

// pushTimeout bounds one submitObservations request.
const pushTimeout = 30 * time.Second

// maxPushResponse bounds the server's answer (a dry run lists up to 1,000
// changes).
const maxPushResponse = 16 << 20

func discoverLocalCmd(g *globals) *cobra.Command {
	var (
		server, token, job string
		dryRun, asJSON     bool
	)
	cmd := &cobra.Command{
		Use:   "local",
		Short: "Observe this machine and push the observation to a Cairn server (the light agent)",
		Long: `Observe this machine (host name, OS, kernel, memory, CPUs, file systems,
network interfaces, DMI identifiers) and push the observation to a Cairn
server, which reconciles it under a discovery job of source kind "push":

  cairn discover local --server https://cairn.example.com --token "$TOKEN"
  CAIRN_TOKEN=... cairn discover local --server https://cairn.example.com --job agents --dry-run

Nothing is written locally; no database is needed. The token needs the
right to submit observations; it is read from --token or CAIRN_TOKEN and
never printed. Prints the run's status and counts; exits non-zero when the
server reports an error or the run failed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			if server == "" {
				server = os.Getenv("CAIRN_SERVER")
			}
			if token == "" {
				token = os.Getenv("CAIRN_TOKEN")
			}
			endpoint, err := graphqlEndpoint(server)
			if err != nil {
				return err
			}
			if endpoint.Scheme == "http" && !isLoopbackHost(endpoint.Hostname()) {
				fmt.Fprintf(g.stderr, "warning: the API token would go to %s over plain http; use https\n", endpoint.Host)
			}
			if strings.TrimSpace(token) == "" {
				return errors.New("--token is empty: give an API token with --token or CAIRN_TOKEN")
			}
			if strings.TrimSpace(job) == "" {
				return errors.New("--job is empty: name the server's discovery job of source kind push")
			}
			log, err := g.logger()
			if err != nil {
				return err
			}
			src, err := local.DefaultConfig().Build()
			if err != nil {
				return err
			}
			res, err := src.Discover(ctx, discovery.Env{Now: time.Now(), Logger: log})
			if err != nil {
				return err
			}
			c := &pushClient{endpoint: endpoint.String(), token: token, http: &http.Client{Timeout: pushTimeout}}
			run, err := c.submit(ctx, job, res.Observations, dryRun)
			if err != nil {
				return err
			}
			if err := printPushedRun(g.stdout, job, run, asJSON); err != nil {
				return err
			}
			switch run.Status {
			case "FAILED", "TIMED_OUT", "CANCELLED":
				msg := ""
				if run.Error != nil {
					msg = ": " + *run.Error
				}
				return fmt.Errorf("discovery run %s%s", strings.ToLower(run.Status), msg)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&server, "server", "", "the Cairn server's URL, such as https://cairn.example.com (its /graphql endpoint is used) (env CAIRN_SERVER)")
	f.StringVar(&token, "token", "", "API token sent as Authorization: Bearer (env CAIRN_TOKEN)")
	f.StringVar(&job, "job", "agents", "the server's discovery job (source kind push) that reconciles the observation")
	f.BoolVar(&dryRun, "dry-run", false, "ask the server what the run would change; it writes nothing")
	f.BoolVar(&asJSON, "json", false, "print the run as JSON")
	return cmd
}

// graphqlEndpoint turns --server into the GraphQL endpoint: a URL without
// a path gets /graphql.
func graphqlEndpoint(server string) (*url.URL, error) {
	server = strings.TrimSpace(server)
	if server == "" {
		return nil, errors.New("--server is empty: give the Cairn server's URL, such as https://cairn.example.com")
	}
	u, err := url.Parse(server)
	if err != nil {
		return nil, fmt.Errorf("--server: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("--server %q: want an http or https URL such as https://cairn.example.com", u.Redacted())
	}
	if u.User != nil {
		return nil, errors.New("--server: put the token in --token, not in the URL")
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/graphql"
	}
	return u, nil
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// submitMutation is the request the light agent sends.
const submitMutation = `mutation SubmitObservations($job: String!, $observations: [ObservationInput!]!, $dryRun: Boolean!) {
  submitObservations(job: $job, observations: $observations, dryRun: $dryRun) {
    id
    status
    dryRun
    error
    hostErrors { host error }
    counts {
      observed matched created filled updated unchanged
      driftsOpened driftsUpdated driftsResolved driftsIgnored
      missing retired ambiguous unregistered
    }
    changes @include(if: $dryRun) { action observationKey field before after }
  }
}`

// pushClient submits observations to a Cairn server's GraphQL API.
type pushClient struct {
	endpoint string
	token    string
	http     *http.Client
}

type identifierInput struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// observationInput is the GraphQL ObservationInput.
type observationInput struct {
	Key           string            `json:"key"`
	Kind          string            `json:"kind"`
	Name          string            `json:"name"`
	Identifiers   []identifierInput `json:"identifiers,omitempty"`
	Fields        map[string]string `json:"fields,omitempty"`
	Facts         map[string]string `json:"facts,omitempty"`
	CompleteFacts []string          `json:"completeFacts,omitempty"`
	SeenAt        string            `json:"seenAt,omitempty"`
}

func toInput(o discovery.Observation) observationInput {
	in := observationInput{
		Key: o.Key, Kind: o.Kind, Name: o.Name,
		Fields: o.Fields, Facts: o.Facts, CompleteFacts: o.CompleteFacts,
	}
	for _, id := range o.Identifiers {
		in.Identifiers = append(in.Identifiers, identifierInput{Kind: string(id.Kind), Value: id.Value})
	}
	if !o.SeenAt.IsZero() {
		in.SeenAt = o.SeenAt.UTC().Format(time.RFC3339Nano)
	}
	return in
}

// pushedRun is the DiscoveryRun the server answers with.
type pushedRun struct {
	ID         string  `json:"id"`
	Status     string  `json:"status"`
	DryRun     bool    `json:"dryRun"`
	Error      *string `json:"error"`
	HostErrors []struct {
		Host  string `json:"host"`
		Error string `json:"error"`
	} `json:"hostErrors"`
	Counts struct {
		Observed       int `json:"observed"`
		Matched        int `json:"matched"`
		Created        int `json:"created"`
		Filled         int `json:"filled"`
		Updated        int `json:"updated"`
		Unchanged      int `json:"unchanged"`
		DriftsOpened   int `json:"driftsOpened"`
		DriftsUpdated  int `json:"driftsUpdated"`
		DriftsResolved int `json:"driftsResolved"`
		DriftsIgnored  int `json:"driftsIgnored"`
		Missing        int `json:"missing"`
		Retired        int `json:"retired"`
		Ambiguous      int `json:"ambiguous"`
		Unregistered   int `json:"unregistered"`
	} `json:"counts"`
	Changes []struct {
		Action         string  `json:"action"`
		ObservationKey *string `json:"observationKey"`
		Field          *string `json:"field"`
		Before         *string `json:"before"`
		After          *string `json:"after"`
	} `json:"changes,omitempty"`
}

type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

func (e gqlError) String() string {
	s := e.Message
	if code, ok := e.Extensions["code"].(string); ok && code != "" {
		s += " (" + code + ")"
	}
	if field, ok := e.Extensions["field"].(string); ok && field != "" {
		s += " [field " + field + "]"
	}
	return s
}

// submit sends the observations and returns the run the server made of
// them. A GraphQL error, an HTTP error status or an answer without a run is
// an error.
func (c *pushClient) submit(ctx context.Context, job string, obs []discovery.Observation, dryRun bool) (*pushedRun, error) {
	inputs := make([]observationInput, 0, len(obs))
	for _, o := range obs {
		inputs = append(inputs, toInput(o))
	}
	body, err := json.Marshal(map[string]any{
		"operationName": "SubmitObservations",
		"query":         submitMutation,
		"variables":     map[string]any{"job": job, "observations": inputs, "dryRun": dryRun},
	})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("User-Agent", "cairn-agent")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("submitting to %s: %w", c.endpoint, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxPushResponse+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer of %s: %w", c.endpoint, err)
	}
	if len(raw) > maxPushResponse {
		return nil, fmt.Errorf("the answer of %s is larger than %d bytes", c.endpoint, maxPushResponse)
	}
	var out struct {
		Data *struct {
			SubmitObservations *pushedRun `json:"submitObservations"`
		} `json:"data"`
		Errors []gqlError `json:"errors"`
	}
	decodeErr := json.Unmarshal(raw, &out)
	if len(out.Errors) > 0 {
		msgs := make([]string, len(out.Errors))
		for i, e := range out.Errors {
			msgs[i] = e.String()
		}
		prefix := "server"
		if resp.StatusCode != http.StatusOK {
			prefix = "server answered " + resp.Status
		}
		return nil, fmt.Errorf("%s: %s", prefix, strings.Join(msgs, "; "))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("server answered %s: %s", resp.Status, snippet(raw))
	}
	if decodeErr != nil {
		return nil, fmt.Errorf("the answer of %s is not GraphQL JSON: %v: %s", c.endpoint, decodeErr, snippet(raw))
	}
	if out.Data == nil || out.Data.SubmitObservations == nil {
		return nil, fmt.Errorf("the answer of %s holds no run", c.endpoint)
	}
	return out.Data.SubmitObservations, nil
}

// snippet is the start of a body for an error message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "(empty body)"
	}
	return discovery.Clip(s)
}

func printPushedRun(w io.Writer, job string, run *pushedRun, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(run)
	}
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	title := "run " + run.ID
	if run.DryRun {
		title = "dry run (nothing written)"
	}
	fmt.Fprintf(tw, "%s\tjob %s\t%s\n", title, job, run.Status)
	if run.Error != nil && *run.Error != "" {
		fmt.Fprintf(tw, "error\t%s\n", *run.Error)
	}
	for _, he := range run.HostErrors {
		fmt.Fprintf(tw, "host %s\t%s\n", he.Host, he.Error)
	}
	c := run.Counts
	for _, kv := range []struct {
		k string
		v int
	}{
		{"observed", c.Observed}, {"matched", c.Matched}, {"created", c.Created}, {"filled", c.Filled},
		{"updated", c.Updated}, {"unchanged", c.Unchanged}, {"drifts opened", c.DriftsOpened},
		{"drifts updated", c.DriftsUpdated}, {"drifts resolved", c.DriftsResolved}, {"drifts ignored", c.DriftsIgnored},
		{"missing", c.Missing}, {"retired", c.Retired}, {"ambiguous", c.Ambiguous}, {"unregistered", c.Unregistered},
	} {
		fmt.Fprintf(tw, "%s\t%d\n", kv.k, kv.v)
	}
	if len(run.Changes) > 0 {
		fmt.Fprintln(tw, "\nwould\tobservation\tfield\tbefore\tafter")
		for _, ch := range run.Changes {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", ch.Action, deref(ch.ObservationKey), deref(ch.Field), deref(ch.Before), deref(ch.After))
		}
	}
	return tw.Flush()
}
