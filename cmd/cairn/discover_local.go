package main

import (
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

	"github.com/Khan/genqlient/graphql"
	"github.com/spf13/cobra"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/local"
	"github.com/cairn-cmdb/cairn/internal/client"
)

// pushTimeout bounds one submitObservations request.
const pushTimeout = 30 * time.Second

func discoverLocalCmd(g *globals) *cobra.Command {
	var (
		server, token, job string
		dryRun, asJSON     bool
	)
	cmd := &cobra.Command{
		Use:   "local",
		Short: "Observe this machine and push the observation to a Cairn server (the light agent)",
		Long: `Observe this machine (host name, OS, kernel, memory, CPUs and cores, file
systems, network interfaces, DMI identifiers, BIOS, board and asset tag,
memory modules, installed packages with versions and architectures, PCI
devices, DNS servers) and push the observation to a Cairn server, which
reconciles it under a discovery job of source kind "push" (the demo estate
has one, "agents"):

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
			c := client.New(endpoint.String(), token, &http.Client{Timeout: pushTimeout})
			run, err := submit(ctx, c, endpoint.String(), job, res.Observations, dryRun)
			if err != nil {
				return err
			}
			if err := printPushedRun(g.stdout, job, run, asJSON); err != nil {
				return err
			}
			switch run.Status {
			case client.DiscoveryRunStatusFailed, client.DiscoveryRunStatusTimedOut, client.DiscoveryRunStatusCancelled:
				msg := ""
				if run.Error != nil {
					msg = ": " + *run.Error
				}
				return fmt.Errorf("discovery run %s%s", strings.ToLower(string(run.Status)), msg)
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

// submit sends the observations as the typed client's SubmitObservations
// and returns the run the server made of them. A GraphQL error, an HTTP
// error status or an answer without a run is an error; the server's
// refusals are *client.Error, with each extensions.code.
func submit(ctx context.Context, c graphql.Client, endpoint, job string, obs []discovery.Observation, dryRun bool) (*client.PushedRun, error) {
	inputs := make([]client.ObservationInput, 0, len(obs))
	for _, o := range obs {
		inputs = append(inputs, toInput(o))
	}
	resp, err := client.SubmitObservations(ctx, c, job, inputs, dryRun)
	if err != nil {
		return nil, err
	}
	if resp == nil || resp.SubmitObservations == nil {
		return nil, fmt.Errorf("the answer of %s holds no run", endpoint)
	}
	return resp.SubmitObservations, nil
}

// toInput is an observation as the GraphQL ObservationInput.
func toInput(o discovery.Observation) client.ObservationInput {
	in := client.ObservationInput{
		Key: o.Key, Kind: client.ConfigurationItemKind(o.Kind), Name: o.Name,
		Fields: o.Fields, Facts: o.Facts, CompleteFacts: o.CompleteFacts,
	}
	for _, id := range o.Identifiers {
		in.Identifiers = append(in.Identifiers, client.ObservedIdentifierInput{Kind: client.IdentifierKind(id.Kind), Value: id.Value})
	}
	// A hosted VM or container: RUNS_ON the host, found again by its key.
	in.StableKey = o.StableKey
	for _, r := range o.Relationships {
		in.Relationships = append(in.Relationships, client.ObservedRelationshipInput{Type: client.RelationshipType(r.Type), To: r.To, Attributes: r.Attributes})
	}
	if !o.SeenAt.IsZero() {
		t := o.SeenAt.UTC()
		in.SeenAt = &t
	}
	return in
}

func printPushedRun(w io.Writer, job string, run *client.PushedRun, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(run)
	}
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	title := "run " + run.Id
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
