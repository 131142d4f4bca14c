package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent/apitoken"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

var (
	ingest    = auth.Principal{Name: "prom", Role: auth.Ingest, Authenticated: true}
	viewer    = auth.Principal{Name: "grafana", Role: auth.Viewer, Authenticated: true}
	editor    = auth.Principal{Name: "ops", Role: auth.Editor, Authenticated: true}
	admin     = auth.Principal{Name: "root", Role: auth.Admin, Authenticated: true}
	anonymous = auth.Principal{Name: "anonymous", Role: auth.Viewer}
)

// TestRequire: the roles rank ingest < viewer < editor < admin, but an
// INGEST token passes nothing but Require(Ingest), which a VIEWER and
// anonymous read fail (reading is not sending).
func TestRequire(t *testing.T) {
	none := "" // no principal at all
	for _, tt := range []struct {
		who      any // auth.Principal or none
		min      apitoken.Role
		wantCode apperr.Code // "" passes
		wantMsg  string
	}{
		{ingest, auth.Ingest, "", ""},
		{ingest, auth.Viewer, apperr.Forbidden, `token "prom" has role INGEST: it may only send alerts`},
		{ingest, auth.Editor, apperr.Forbidden, `token "prom" has role INGEST: it may only send alerts`},
		{ingest, auth.Admin, apperr.Forbidden, `token "prom" has role INGEST: it may only send alerts`},
		{viewer, auth.Ingest, apperr.Forbidden, `token "grafana" has role VIEWER; sending alerts needs INGEST, EDITOR or ADMIN`},
		{viewer, auth.Viewer, "", ""},
		{viewer, auth.Editor, apperr.Forbidden, `token "grafana" has role VIEWER; this needs EDITOR or higher`},
		{editor, auth.Ingest, "", ""},
		{editor, auth.Editor, "", ""},
		{editor, auth.Admin, apperr.Forbidden, `token "ops" has role EDITOR; this needs ADMIN or higher`},
		{admin, auth.Ingest, "", ""},
		{admin, auth.Admin, "", ""},
		{anonymous, auth.Ingest, apperr.Unauthenticated, "sending alerts needs an API token with role INGEST, EDITOR or ADMIN"},
		{anonymous, auth.Viewer, "", ""},
		{anonymous, auth.Editor, apperr.Unauthenticated, "this needs an API token with role EDITOR or higher"},
		{none, auth.Ingest, apperr.Unauthenticated, "sending alerts needs an API token"},
		{none, auth.Viewer, apperr.Unauthenticated, "this needs an API token with role VIEWER or higher"},
	} {
		ctx := context.Background()
		name := "no principal"
		if p, ok := tt.who.(auth.Principal); ok {
			ctx = auth.WithPrincipal(ctx, p)
			name = p.Name
		}
		err := auth.Require(ctx, tt.min)
		if tt.wantCode == "" {
			if err != nil {
				t.Errorf("Require(%s, %s) = %v, want nil", name, tt.min, err)
			}
			continue
		}
		ae, ok := apperr.As(err)
		if !ok || ae.Code != tt.wantCode || !strings.Contains(ae.Error(), tt.wantMsg) {
			t.Errorf("Require(%s, %s) = %v, want %s containing %q", name, tt.min, err, tt.wantCode, tt.wantMsg)
		}
	}
}

func TestCanIngest(t *testing.T) {
	for _, tt := range []struct {
		p    auth.Principal
		want bool
	}{
		{ingest, true}, {viewer, false}, {editor, true}, {admin, true}, {anonymous, false},
		// A principal that did not come from a token never sends alerts,
		// whatever role it names.
		{auth.Principal{Name: "x", Role: auth.Admin}, false},
	} {
		if got := auth.CanIngest(tt.p); got != tt.want {
			t.Errorf("CanIngest(%s %s, authenticated %v) = %v, want %v", tt.p.Name, tt.p.Role, tt.p.Authenticated, got, tt.want)
		}
	}
}

// TestCreateTokenRoles: every role is stored and authenticates as itself;
// an unknown role is refused naming the field and the four roles, and
// nothing is stored.
func TestCreateTokenRoles(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		db, err := app.Open(ctx, dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ctx = audit.WithActor(ctx, "test")
		authn := auth.NewAuthenticator(db.Client)
		for _, role := range []apitoken.Role{auth.Ingest, auth.Viewer, auth.Editor, auth.Admin} {
			secret, tok, err := auth.CreateToken(ctx, db.Client, "t-"+string(role), role, nil)
			if err != nil {
				t.Fatalf("CreateToken(%s): %v", role, err)
			}
			p, err := authn.Authenticate(ctx, secret)
			if err != nil || p.Role != role || p.TokenID != tok.ID || !p.Authenticated {
				t.Errorf("Authenticate(%s token) = %+v, %v", role, p, err)
			}
		}
		_, _, err = auth.CreateToken(ctx, db.Client, "bad", "READER", nil)
		ae, ok := apperr.As(err)
		if !ok || ae.Code != apperr.BadUserInput || ae.Field != "role" || !strings.Contains(ae.Msg, "want INGEST, VIEWER, EDITOR or ADMIN") {
			t.Errorf("CreateToken(READER) = %v, want BAD_USER_INPUT on role listing the roles", err)
		}
		if n := db.Client.APIToken.Query().CountX(ctx); n != 4 {
			t.Errorf("%d tokens stored, want 4", n)
		}
	})
}
