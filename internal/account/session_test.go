package account

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
)

func TestSessionStore(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := clock.NewFake(testStart)
		s := NewSessionStore(d, c)

		if b, found, err := s.FindCtx(ctx, "nope"); err != nil || found || b != nil {
			t.Fatalf("Find(unknown) = %q, %v, %v", b, found, err)
		}
		if err := s.CommitCtx(ctx, "tokA", []byte("data A"), testStart.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit("tokB", []byte{0, 1, 2, 255}, testStart.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			token string
			want  string
		}{{"tokA", "data A"}, {"tokB", "\x00\x01\x02\xff"}}
		for _, tt := range tests {
			b, found, err := s.Find(tt.token)
			if err != nil || !found || string(b) != tt.want {
				t.Fatalf("Find(%s) = %q, %v, %v", tt.token, b, found, err)
			}
		}
		// Commit overwrites data and expiry.
		if err := s.CommitCtx(ctx, "tokA", []byte("data A2"), testStart.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		c.Advance(90 * time.Minute)
		if b, found, _ := s.FindCtx(ctx, "tokA"); !found || string(b) != "data A2" {
			t.Fatalf("Find(tokA) after overwrite = %q, %v", b, found)
		}
		c.Advance(30 * time.Minute) // tokB expires exactly now
		if _, found, err := s.FindCtx(ctx, "tokB"); err != nil || found {
			t.Fatalf("Find(expired) = %v, %v", found, err)
		}
		if n, err := s.Prune(ctx); err != nil || n != 1 {
			t.Fatalf("Prune = %d, %v", n, err)
		}
		if err := s.Delete("tokA"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteCtx(ctx, "tokA"); err != nil {
			t.Fatalf("Delete(unknown) = %v", err)
		}
		if n := count(t, d, "sessions WHERE expiry > '1971-01-01'"); n != 0 {
			t.Fatalf("%d sessions still live", n)
		}
		// A request that was in flight when the session ended saves it at
		// its end, as scs does: the ended session stays ended.
		if err := s.CommitCtx(ctx, "tokA", []byte("data A3"), testStart.Add(5*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, found, err := s.FindCtx(ctx, "tokA"); err != nil || found {
			t.Fatalf("an ended session came back: %v, %v", found, err)
		}
	})
}

// sessionServer is a tiny site: /visit puts something in the session,
// /login?account=ID logs in, /whoami tells the account, /logout logs out.
func sessionServer(t *testing.T, sm *SessionManager) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /visit", func(w http.ResponseWriter, r *http.Request) {
		sm.Put(r.Context(), "lang", "zh")
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if err := sm.SetSessionAccount(r.Context(), r.FormValue("account")); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, sm.SessionAccount(r.Context()))
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := sm.ClearSessionAccount(r.Context()); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	srv := httptest.NewServer(sm.LoadAndSave(mux))
	t.Cleanup(srv.Close)
	return srv
}

// do sends a request with the session cookie token (if any) and returns
// the body and the session token the response sets ("" if none).
func do(t *testing.T, srv *httptest.Server, method, path, token string) (body string, cookie *http.Cookie) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.AddCookie(&http.Cookie{Name: SessionCookieName, Value: token})
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	for _, c := range resp.Cookies() {
		if c.Name == SessionCookieName {
			cookie = c
		}
	}
	return string(b), cookie
}

func TestSessionManager(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		store := NewSessionStore(d, nil)
		sm := NewSessionManager(store, false)
		srv := sessionServer(t, sm)

		// An anonymous session, as an attacker could plant (fixation).
		_, c := do(t, srv, "GET", "/visit", "")
		if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.Path != "/" || !c.Expires.IsZero() {
			t.Fatalf("session cookie = %+v", c)
		}
		planted := c.Value

		_, c = do(t, srv, "POST", "/login?account=acct_A", planted)
		if c == nil || c.Value == planted {
			t.Fatalf("log-in kept the session token %q", planted)
		}
		tokA := c.Value
		if _, found, _ := store.Find(planted); found {
			t.Fatal("the pre-login token is still in the store")
		}
		_, c = do(t, srv, "POST", "/login?account=acct_B", "")
		tokB := c.Value

		tests := []struct {
			name, token, want string
		}{
			{"AccountA", tokA, "acct_A"},
			{"AccountB", tokB, "acct_B"},
			{"PlantedToken", planted, ""},
			{"ForgedToken", strings.Repeat("A", len(tokA)), ""},
			{"NoCookie", "", ""},
		}
		for _, tt := range tests {
			if got, _ := do(t, srv, "GET", "/whoami", tt.token); got != tt.want {
				t.Errorf("%s: whoami = %q, want %q", tt.name, got, tt.want)
			}
		}

		const live = "sessions WHERE expiry > '1971-01-01'" // ended sessions keep their row until pruned
		before := count(t, d, live)
		_, c = do(t, srv, "POST", "/logout", tokA)
		if c == nil || c.Value != "" || c.MaxAge >= 0 {
			t.Fatalf("logout cookie = %+v, want it cleared", c)
		}
		if got, _ := do(t, srv, "GET", "/whoami", tokA); got != "" {
			t.Fatalf("after logout whoami = %q", got)
		}
		if got, _ := do(t, srv, "GET", "/whoami", tokB); got != "acct_B" {
			t.Fatalf("B after A's logout = %q", got)
		}
		if after := count(t, d, live); after != before-1 {
			t.Fatalf("live sessions %d → %d, want one fewer", before, after)
		}
	})
}

func TestSessionManagerSecureCookie(t *testing.T) {
	t.Parallel()
	sm := NewSessionManager(NewSessionStore(nil, nil), true)
	if c := sm.Cookie; !c.Secure || !c.HttpOnly || c.Name != "__Host-"+SessionCookieName || c.Path != "/" || c.Domain != "" ||
		c.SameSite != http.SameSiteLaxMode || c.Persist {
		t.Fatalf("cookie settings = %+v", c)
	}
	if sm.IdleTimeout != SessionIdleTimeout || sm.Lifetime != SessionLifetime {
		t.Fatalf("timeouts = %v, %v", sm.IdleTimeout, sm.Lifetime)
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := setup(t, d, Options{})
		csrf, err := NewCSRF([]string{"https://trusted.example"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		// The protected action registers an account: state we can count.
		n := 0
		h := csrf(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n++
			if _, err := b.svc.Register(ctx, "csrf@example.com", goodPassword, Personal, ""); err != nil {
				t.Error(err)
			}
		}))
		tests := []struct {
			name, method string
			header       map[string]string
			want         int
		}{
			{"CrossSitePost", "POST", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
			{"SameSiteSubdomainPost", "POST", map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
			{"ForeignOriginPost", "POST", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
			{"CrossSiteGet", "GET", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusOK},
			{"SameOriginPost", "POST", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusOK},
			{"SameOriginByOrigin", "POST", map[string]string{"Origin": "https://pay.example"}, http.StatusOK},
			{"TrustedOrigin", "POST", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://trusted.example"}, http.StatusOK},
			{"NonBrowserClient", "POST", nil, http.StatusOK},
		}
		for _, tt := range tests {
			before, calls := snapshot(t, d), n
			req := httptest.NewRequest(tt.method, "https://pay.example/account/register", strings.NewReader("x=1"))
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("%s: status %d, want %d", tt.name, rec.Code, tt.want)
			}
			if tt.want == http.StatusForbidden {
				if n != calls || snapshot(t, d) != before {
					t.Errorf("%s: refused request reached the handler or changed state", tt.name)
				}
				if !strings.Contains(rec.Body.String(), "another site") {
					t.Errorf("%s: body %q, want a clear message", tt.name, rec.Body.String())
				}
			} else if n != calls+1 {
				t.Errorf("%s: handler not called", tt.name)
			}
		}
	})
}

func TestResetEndsSessions(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := setup(t, d, Options{})
		a := b.mustActive(t, "ann@example.com", goodPassword)
		srv := sessionServer(t, NewSessionManager(NewSessionStore(d, nil), false))
		_, c := do(t, srv, "POST", "/login?account="+a.ID, "")
		tokA := c.Value
		_, c = do(t, srv, "POST", "/login?account=acct_other", "")
		tokOther := c.Value
		do(t, srv, "GET", "/visit", "") // an anonymous session
		if got, _ := do(t, srv, "GET", "/whoami", tokA); got != a.ID {
			t.Fatalf("whoami = %q", got)
		}
		if err := b.svc.RequestReset(ctx, a.Email); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Reset(ctx, b.lastLink(t, a.Email, MailReset, "/account/reset"), "new password 22"); err != nil {
			t.Fatal(err)
		}
		if got, _ := do(t, srv, "GET", "/whoami", tokA); got != "" {
			t.Fatalf("after reset, the old session is still %q", got)
		}
		if got, _ := do(t, srv, "GET", "/whoami", tokOther); got != "acct_other" {
			t.Fatalf("another account's session = %q", got)
		}
		if n := count(t, d, "sessions WHERE expiry > '1971-01-01'"); n != 2 {
			t.Fatalf("%d live sessions, want the other account's and the anonymous one", n)
		}
	})
}
