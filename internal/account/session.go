package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"paygate/internal/clock"
	"paygate/internal/db"
)

// The SQL of the sessions table (migration 0009). An ended session (log-out,
// a renewed token, a password reset) keeps its row with an expiry of
// [endedAt] until Prune removes it, and a commit never brings such a row
// back: scs saves a session at the end of every request, so a request in
// flight when the session ended would otherwise revive it.
const (
	findSession   = `SELECT data FROM sessions WHERE token = ? AND expiry > ?`
	commitSession = `INSERT INTO sessions (token, data, expiry, account_id) VALUES (?, ?, ?, ?)
ON CONFLICT (token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry, account_id = excluded.account_id
WHERE sessions.expiry > ?`
	// endSessions logs an account out everywhere.
	endSessions   = `UPDATE sessions SET data = ?, expiry = ? WHERE account_id = ?`
	endSession    = `UPDATE sessions SET data = ?, expiry = ? WHERE token = ?`
	pruneSessions = `DELETE FROM sessions WHERE expiry <= ?`
)

// endedAt is the expiry that marks an ended session.
var endedAt = time.Unix(0, 0).UTC()

// SessionStore keeps scs sessions in the sessions table, so that every
// instance sharing the database knows every session. It implements
// [scs.CtxStore] on both engines. It also records which account a session
// is logged in to ([SessionManager.SetSessionAccount]), so that
// [Service.Reset] can end them all; this needs the manager's default
// [scs.GobCodec].
type SessionStore struct {
	db    *db.DB
	clock clock.Clock
	codec scs.Codec
}

// NewSessionStore returns a store on d; a nil clock means the system clock.
// scs sets expiries from the system clock, so production passes nil; tests
// of the store alone may pass a fake.
func NewSessionStore(d *db.DB, c clock.Clock) *SessionStore {
	if c == nil {
		c = clock.System{}
	}
	return &SessionStore{db: d, clock: c, codec: scs.GobCodec{}}
}

var _ scs.CtxStore = (*SessionStore)(nil)

// FindCtx returns the data of a live session; found is false for an
// unknown, expired or forged token.
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var b []byte
	err := s.db.QueryRow(ctx, findSession, token, s.clock.Now().UTC()).Scan(&b)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("find session: %w", err)
	}
	return b, true, nil
}

// CommitCtx stores a session's data and expiry, replacing what the token had.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	var accountID string
	if _, values, err := s.codec.Decode(b); err == nil {
		accountID, _ = values[sessionAccountKey].(string)
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, commitSession, token, b, expiry.UTC().Truncate(time.Microsecond), accountID, endedAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("commit session: %w", err)
	}
	return nil
}

// DeleteCtx ends a session for good (see [endedAt]); an unknown token is
// not an error.
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, endSession, []byte{}, endedAt, token)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// Find is [SessionStore.FindCtx] without a context.
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit is [SessionStore.CommitCtx] without a context.
func (s *SessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// Delete is [SessionStore.DeleteCtx] without a context.
func (s *SessionStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// Prune deletes expired sessions and returns how many. Expired sessions are
// never found anyway; run it now and then (from any instance) to keep the
// table small.
func (s *SessionStore) Prune(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, pruneSessions, s.clock.Now().UTC())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	return n, nil
}

// Session lifetimes: a session ends after SessionIdleTimeout without a
// request, and in any case SessionLifetime after it began.
const (
	SessionIdleTimeout = 30 * time.Minute
	SessionLifetime    = 12 * time.Hour
)

// SessionCookieName is the session cookie's name; with secure cookies it
// takes the __Host- prefix, which browsers accept only from HTTPS, for the
// whole host (Path=/, no Domain), so a sibling subdomain cannot plant it.
const SessionCookieName = "paygate_session"

// SessionManager is an [scs.SessionManager] with helpers for the logged-in
// account. Wrap handlers in its LoadAndSave middleware.
type SessionManager struct {
	*scs.SessionManager
	// Clock stamps log-ins ([SessionManager.SessionLogin]); it should be
	// the [Service]'s, whose resets it is compared with.
	Clock clock.Clock
}

// NewSessionManager returns a session manager on store with secure
// defaults: HttpOnly, SameSite=Lax, Secure (and the __Host- prefix) when
// secureCookie is set, which it must be whenever the site is served over
// HTTPS; a browser-session cookie (not persisted); [SessionIdleTimeout] and
// [SessionLifetime].
func NewSessionManager(store scs.Store, secureCookie bool) *SessionManager {
	sm := scs.New()
	sm.Store = store
	sm.IdleTimeout = SessionIdleTimeout
	sm.Lifetime = SessionLifetime
	sm.Cookie.Name = SessionCookieName
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Path = "/"
	sm.Cookie.Domain = ""
	sm.Cookie.Persist = false
	sm.Cookie.Secure = secureCookie
	if secureCookie {
		sm.Cookie.Name = "__Host-" + SessionCookieName
	}
	sm.ErrorFunc = func(w http.ResponseWriter, _ *http.Request, _ error) {
		http.Error(w, "The session could not be loaded or saved. Try again.", http.StatusInternalServerError)
	}
	return &SessionManager{SessionManager: sm, Clock: clock.System{}}
}

// Session keys: the account logged in, and when (unix nanoseconds, UTC).
const (
	sessionAccountKey = "account_id"
	sessionLoginKey   = "login_at"
)

// SessionAccount returns the id of the account logged in to the request's
// session, or "". ctx must come from a request inside LoadAndSave.
func (m *SessionManager) SessionAccount(ctx context.Context) string {
	return m.GetString(ctx, sessionAccountKey)
}

// SetSessionAccount logs accountID in to the request's session. It first
// gives the session a new token (the old one is deleted from the store), so
// that a token planted before log-in (session fixation) is worth nothing
// after it.
func (m *SessionManager) SetSessionAccount(ctx context.Context, accountID string) error {
	if err := m.RenewToken(ctx); err != nil {
		return fmt.Errorf("renew session token: %w", err)
	}
	m.Put(ctx, sessionAccountKey, accountID)
	m.Put(ctx, sessionLoginKey, m.Clock.Now().UTC().UnixNano())
	return nil
}

// SessionLogin returns when the request's session was logged in; ok is
// false if the session does not say (none, or one older than the stamp).
func (m *SessionManager) SessionLogin(ctx context.Context) (at time.Time, ok bool) {
	n, ok := m.Get(ctx, sessionLoginKey).(int64)
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(0, n).UTC(), true
}

// ClearSessionAccount logs the request's session out: the session is
// destroyed in the store and its cookie cleared.
func (m *SessionManager) ClearSessionAccount(ctx context.Context) error {
	return m.Destroy(ctx)
}
