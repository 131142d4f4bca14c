// Package client is Cairn's typed GraphQL client, used by the cairn command
// where it talks to a Cairn server (cairn discover local). The operations
// live in operations.graphql; genqlient (genqlient.yaml, run by
// `go generate ./...` after gqlgen) checks them against schema/*.graphql and
// generates operations_gen.go, so an operation that no longer fits the
// server's schema fails the generate step rather than a request.
//
// New makes the graphql.Client the generated functions take: it sends the
// API token as Authorization: Bearer, bounds the answer's size, and returns
// the server's refusals as *Error, which keeps each error's extensions.code
// and field.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/Khan/genqlient/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// MaxResponseBytes bounds one answer (a dry run lists up to 1,000 changes).
const MaxResponseBytes = 16 << 20

// userAgent names the client in the server's logs.
const userAgent = "cairn-agent"

// Message is one GraphQL error of an answer.
type Message struct {
	Message string
	// Code is extensions.code: UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT,
	// NOT_FOUND, CONFLICT or INTERNAL; empty when the server gave none.
	Code string
	// Field is extensions.field, the input field a BAD_USER_INPUT names.
	Field string
}

func (m Message) String() string {
	s := m.Message
	if m.Code != "" {
		s += " (" + m.Code + ")"
	}
	if m.Field != "" {
		s += " [field " + m.Field + "]"
	}
	return s
}

// Error is a server's refusal: GraphQL errors in an answer, an HTTP error
// status, or both.
type Error struct {
	// Status is the HTTP status code of the answer.
	Status   int
	Messages []Message
}

func (e *Error) Error() string {
	msgs := make([]string, len(e.Messages))
	for i, m := range e.Messages {
		msgs[i] = m.String()
	}
	prefix := "server"
	if e.Status != http.StatusOK {
		prefix = fmt.Sprintf("server answered %d %s", e.Status, http.StatusText(e.Status))
	}
	if len(msgs) == 0 {
		return prefix
	}
	return prefix + ": " + strings.Join(msgs, "; ")
}

// Codes lists the extensions.code of each message, in order.
func (e *Error) Codes() []string {
	codes := make([]string, len(e.Messages))
	for i, m := range e.Messages {
		codes[i] = m.Code
	}
	return codes
}

// New returns a client of the GraphQL endpoint (a URL ending in /graphql)
// that authenticates with token. httpClient carries the timeout; nil means
// http.DefaultClient.
func New(endpoint, token string, httpClient *http.Client) graphql.Client {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	return &cairnClient{
		endpoint: endpoint,
		inner:    graphql.NewClient(endpoint, &authDoer{http: httpClient, token: token}),
	}
}

// cairnClient turns genqlient's errors into *Error and names the endpoint
// in the others.
type cairnClient struct {
	endpoint string
	inner    graphql.Client
}

func (c *cairnClient) MakeRequest(ctx context.Context, req *graphql.Request, resp *graphql.Response) error {
	err := c.inner.MakeRequest(ctx, req, resp)
	if err == nil {
		return nil
	}
	var httpErr *graphql.HTTPError
	var list gqlerror.List
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &httpErr):
		return &Error{Status: httpErr.StatusCode, Messages: messages(httpErr.Response.Errors)}
	case errors.As(err, &list):
		return &Error{Status: http.StatusOK, Messages: messages(list)}
	case errors.Is(err, errTooLarge):
		return fmt.Errorf("reading the answer of %s: %w", c.endpoint, err)
	case errors.As(err, &syntaxErr), errors.As(err, &typeErr), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("the answer of %s is not GraphQL JSON: %w", c.endpoint, err)
	default:
		return fmt.Errorf("calling %s: %w", c.endpoint, err)
	}
}

func messages(list gqlerror.List) []Message {
	out := make([]Message, 0, len(list))
	for _, e := range list {
		if e == nil {
			continue
		}
		m := Message{Message: textclip.BytesMarked(strings.TrimSpace(e.Message), maxMessageBytes)}
		if m.Message == "" {
			m.Message = "(empty body)"
		}
		if code, ok := e.Extensions["code"].(string); ok {
			m.Code = code
		}
		if field, ok := e.Extensions["field"].(string); ok {
			m.Field = field
		}
		out = append(out, m)
	}
	return out
}

// maxMessageBytes bounds a server message, which may be a whole HTML error
// page, to a line an error can carry.
const maxMessageBytes = 200

// authDoer sets the headers of every request and bounds every answer.
type authDoer struct {
	http  *http.Client
	token string
}

func (d *authDoer) Do(req *http.Request) (*http.Response, error) {
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+d.token)
	req.Header.Set("User-Agent", userAgent)
	resp, err := d.http.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{rc: resp.Body, left: MaxResponseBytes}
	return resp, nil
}

var errTooLarge = fmt.Errorf("the answer is larger than %d bytes", MaxResponseBytes)

// limitedBody fails a read past its limit rather than truncating the
// answer into JSON that does not parse.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, errTooLarge
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
