package deliver

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestEgressCheck(t *testing.T) {
	allow, err := ParseAllow([]string{"127.0.0.0/8", " ::1 ", "", "169.254.169.254"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		addr    string
		refused string // the kind named, "" when allowed by default
		allowed bool   // by allow
	}{
		{"127.0.0.1", "loopback", true},
		{"127.1.2.3", "loopback", true},
		{"::1", "loopback", true},
		{"::ffff:127.0.0.1", "loopback", true},
		{"169.254.169.254", "link-local", true},
		{"169.254.1.1", "link-local", false},
		{"fe80::1", "link-local", false},
		{"64:ff9b::a9fe:a9fe", "link-local", false}, // NAT64 of 169.254.169.254
		{"0.0.0.0", "unspecified", false},
		{"::", "unspecified", false},
		{"0.1.2.3", "0.0.0.0/8", false},
		{"224.0.0.1", "multicast", false},
		{"ff02::1", "multicast", false},
		{"255.255.255.255", "broadcast", false},
		{"10.1.2.3", "", false},
		{"192.168.1.10", "", false},
		{"fd00::1", "", false},
		{"93.184.216.34", "", false},
		{"2001:db8::1", "", false},
	} {
		a := netip.MustParseAddr(tc.addr)
		err := Egress{}.Check(a)
		if tc.refused == "" {
			if err != nil {
				t.Errorf("Check(%s) = %v, want allowed", a, err)
			}
			continue
		}
		var re *RefusedError
		if !errors.As(err, &re) || !strings.Contains(re.Why, tc.refused) || !strings.Contains(err.Error(), "--webhook-allow") {
			t.Errorf("Check(%s) = %v, want refused as %s", a, err, tc.refused)
		}
		if err := (Egress{Allow: allow}).Check(a); (err == nil) != tc.allowed {
			t.Errorf("Check(%s) with %v = %v, want allowed %v", a, allow, err, tc.allowed)
		}
	}
	if _, err := ParseAllow([]string{"10.0.0.0/33"}); err == nil {
		t.Error("ParseAllow took a bad range")
	}
	for _, tc := range []struct {
		url     string
		refused bool
	}{
		{"http://127.0.0.1:8080/x", true},
		{"https://[::1]/x", true},
		{"http://169.254.169.254/latest/meta-data/", true},
		{"http://localhost:9000/", true},
		{"http://LOCALHOST./", true},
		{"http://app.localhost/", true},
		{"https://hooks.example.com/cairn", false}, // a name: checked when dialled
		{"http://10.0.0.5/hook", false},
	} {
		if err := (Egress{}).CheckURL(tc.url); (err != nil) != tc.refused {
			t.Errorf("CheckURL(%s) = %v, want refused %v", tc.url, err, tc.refused)
		}
	}
}

// listenOn starts a server answering 200 on addr ("127.0.0.2:0").
func listenOn(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// TestWebhookEgress (issue 13): a webhook reaches no loopback, link-local
// or unspecified address unless the operator allows it, and the address
// is the one dialled, after DNS resolution.
func TestWebhookEgress(t *testing.T) {
	hook := func(url string, allow ...string) Webhook {
		h := testHook(t, url)
		p, err := ParseAllow(allow)
		if err != nil {
			t.Fatal(err)
		}
		h.Egress = Egress{Allow: p}
		return h
	}
	refused := func(t *testing.T, h Webhook, srv *recorder) {
		t.Helper()
		start := time.Now()
		res, err := h.Post(t.Context(), []byte(`{}`), nil)
		if !IsRefused(err) || !strings.Contains(err.Error(), "--webhook-allow") {
			t.Fatalf("Post = %+v, %v; want a refused address", res, err)
		}
		if res.Attempts != 1 || res.Status != 0 {
			t.Errorf("result %+v: a refused address is not retried", res)
		}
		if srv != nil && len(srv.got()) != 0 {
			t.Errorf("the refused server saw %d requests", len(srv.got()))
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("refusing took %v", d)
		}
	}
	t.Run("loopback refused by default", func(t *testing.T) {
		rec := newRecorder(t, status(200, ""))
		refused(t, hook(rec.srv.URL), rec)
	})
	t.Run("loopback delivered when allowed", func(t *testing.T) {
		rec := newRecorder(t, status(200, ""))
		if _, err := hook(rec.srv.URL, "127.0.0.0/8").Post(t.Context(), []byte(`{}`), nil); err != nil {
			t.Fatal(err)
		}
		if len(rec.got()) != 1 {
			t.Fatalf("server saw %d requests, want 1", len(rec.got()))
		}
	})
	t.Run("a name is checked after it resolves", func(t *testing.T) {
		rec := newRecorder(t, status(200, ""))
		_, port, _ := net.SplitHostPort(rec.srv.Listener.Addr().String())
		// localhost resolves to loopback; only 127.0.0.2 is allowed.
		// Post checks no name itself: the dialer refuses the address the
		// name resolved to, so a name that resolves (or rebinds) to a
		// refused address is caught whenever it is dialled.
		refused(t, hook("http://localhost:"+port+"/hook", "127.0.0.2/32"), rec)
	})
	t.Run("unspecified and mapped addresses", func(t *testing.T) {
		rec := newRecorder(t, status(200, ""))
		_, port, _ := net.SplitHostPort(rec.srv.Listener.Addr().String())
		refused(t, hook("http://0.0.0.0:"+port+"/"), rec)
		refused(t, hook("http://[::ffff:127.0.0.1]:"+port+"/"), rec)
	})
	t.Run("metadata address", func(t *testing.T) {
		// Refused before any connection is made: nothing leaves the machine.
		refused(t, hook("http://169.254.169.254/latest/meta-data/iam/"), nil)
	})
	t.Run("redirect from an allowed host to a refused address", func(t *testing.T) {
		inner := &recorder{replies: []http.HandlerFunc{status(200, "")}}
		target := listenOn(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inner.mu.Lock()
			inner.requests = append(inner.requests, received{header: r.Header.Clone()})
			inner.mu.Unlock()
			w.WriteHeader(200)
		}))
		for _, code := range []int{302, 307, 308} {
			front := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target.URL+"/steal", code)
			})
			// 127.0.0.1 (the front) is allowed; 127.0.0.2 (the target) is not.
			res, err := hook(front.srv.URL, "127.0.0.1/32").Post(t.Context(), []byte(`{}`), nil)
			if err == nil || res.Status != code {
				t.Fatalf("%d: Post = %+v, %v; want the redirect refused", code, res, err)
			}
			if strings.Contains(err.Error(), "127.0.0.2") || strings.Contains(err.Error(), "/steal") {
				t.Errorf("%d: error %q repeats the reply's Location", code, err)
			}
		}
		if n := len(inner.got()); n != 0 {
			t.Errorf("the refused address saw %d requests", n)
		}
		// And the refused address is refused when dialled directly.
		refused(t, hook(target.URL, "127.0.0.1/32"), inner)
	})
}
