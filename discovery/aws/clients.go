package aws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// The job credentials the source reads.
const (
	CredAccessKeyID     = "access_key_id"
	CredSecretAccessKey = "secret_access_key"
	CredSessionToken    = "session_token"
)

// RoleSessionName is the session name of an assumed role, as CloudTrail
// shows it.
const RoleSessionName = "cairn-discovery"

// baseConfig returns the SDK configuration shared by every region: HTTP
// client, retries, endpoint and credentials (the job's, or the default
// chain's with UseEnvironment, through the assumed role when one is set).
func (s *Source) baseConfig(ctx context.Context, creds map[string]string) (sdk.Config, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	hc := &http.Client{Transport: tr}
	cfg := sdk.Config{
		Region:     s.regions[0],
		HTTPClient: hc,
		Retryer: func() sdk.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = s.maxRetries + 1
				o.MaxBackoff = s.maxBackoff
			})
		},
		RetryMaxAttempts: s.maxRetries + 1,
	}
	if s.endpoint != "" {
		cfg.BaseEndpoint = sdk.String(s.endpoint)
	}
	switch {
	case s.useEnvironment:
		env, err := config.LoadDefaultConfig(ctx, config.WithRegion(s.regions[0]))
		if err != nil {
			return cfg, fmt.Errorf("loading the default AWS configuration (useEnvironment): %w", err)
		}
		if env.Credentials == nil {
			return cfg, errors.New("useEnvironment: the default AWS credential chain found no credentials")
		}
		cfg.Credentials = env.Credentials
	default:
		id, secret := creds[CredAccessKeyID], creds[CredSecretAccessKey]
		if id == "" || secret == "" {
			return cfg, fmt.Errorf("the job's credentials need %s and %s (or set useEnvironment to use the server's own AWS credentials)", CredAccessKeyID, CredSecretAccessKey)
		}
		cfg.Credentials = sdk.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, secret, creds[CredSessionToken]))
	}
	if s.roleARN != "" {
		stsc := sts.NewFromConfig(cfg)
		cfg.Credentials = sdk.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsc, s.roleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = RoleSessionName
			if s.externalID != "" {
				o.ExternalID = sdk.String(s.externalID)
			}
		}))
	}
	return cfg, nil
}

// clients are one region's service clients.
type clients struct {
	sts    *sts.Client
	ec2    *ec2.Client
	elb    *elasticloadbalancingv2.Client
	rds    *rds.Client
	s3     *s3.Client
	lambda *lambda.Client
}

func newClients(base sdk.Config, region string, pathStyle bool) clients {
	cfg := base.Copy()
	cfg.Region = region
	return clients{
		sts:    sts.NewFromConfig(cfg),
		ec2:    ec2.NewFromConfig(cfg),
		elb:    elasticloadbalancingv2.NewFromConfig(cfg),
		rds:    rds.NewFromConfig(cfg),
		s3:     s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle }),
		lambda: lambda.NewFromConfig(cfg),
	}
}

// call runs fn under the per-call timeout.
func (s *Source) call(ctx context.Context, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err := fn(ctx)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timed out after %s: %w", s.timeout.Round(time.Millisecond), err)
	}
	return err
}
