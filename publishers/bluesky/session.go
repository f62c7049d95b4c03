package bluesky

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
)

// session is an open PDS session.
type session struct {
	access, refresh string
	did, handle     string
}

// slot holds one channel's session. sem lets one createSession or
// refreshSession run at a time for the channel; cur is read and written
// under sessions.mu.
type slot struct {
	sem  chan struct{}
	hash string // credentialHash of the credentials cur was opened with
	cur  *session
}

// sessions is the in-memory session cache, one slot per channel.
type sessions struct {
	mu sync.Mutex
	m  map[string]*slot
}

// slot returns the channel's slot for these credentials; a slot opened
// with other credentials is replaced (its session is no longer used).
func (ss *sessions) slot(key, hash string) *slot {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	sl := ss.m[key]
	if sl == nil || sl.hash != hash {
		sl = &slot{sem: make(chan struct{}, 1), hash: hash}
		ss.m[key] = sl
	}
	return sl
}

func (ss *sessions) get(sl *slot) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return sl.cur
}

func (ss *sessions) set(sl *slot, s *session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	sl.cur = s
}

// drop forgets stale when it is still the slot's session.
func (ss *sessions) drop(sl *slot, stale *session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if stale != nil && sl.cur == stale {
		sl.cur = nil
	}
}

// lock takes the slot's semaphore, or gives up when ctx ends.
func (a *api) lock(ctx context.Context) (unlock func(), fail *herald.Result) {
	select {
	case a.slot.sem <- struct{}{}:
		return func() { <-a.slot.sem }, nil
	case <-ctx.Done():
		r := a.result(herald.OutcomeRetry, "stopped waiting for the channel's session: "+ctx.Err().Error())
		return nil, &r
	}
}

func (a *api) use(s *session) {
	a.sess = s
	a.secrets = append(a.secrets, s.access, s.refresh)
}

// session sets the operation's session: the channel's cached one, or a new
// one from createSession.
func (a *api) session(ctx context.Context) *herald.Result {
	if s := a.p.sessions.get(a.slot); s != nil {
		a.use(s)
		return nil
	}
	unlock, fail := a.lock(ctx)
	if fail != nil {
		return fail
	}
	defer unlock()
	if s := a.p.sessions.get(a.slot); s != nil { // opened while we waited
		a.use(s)
		return nil
	}
	s, fail := a.createSession(ctx)
	if fail != nil {
		return fail
	}
	a.p.sessions.set(a.slot, s)
	a.use(s)
	a.renewed = true
	return nil
}

// renew replaces the operation's expired session: by one another call
// already refreshed, else by refreshSession, else (the refresh token too
// expired or revoked) by createSession.
func (a *api) renew(ctx context.Context) *herald.Result {
	stale := a.sess
	unlock, fail := a.lock(ctx)
	if fail != nil {
		return fail
	}
	defer unlock()
	a.renewed = true
	if s := a.p.sessions.get(a.slot); s != nil && s != stale {
		a.use(s)
		return nil
	}
	s, fail, refused := a.refreshSession(ctx, stale)
	if refused {
		a.p.sessions.drop(a.slot, stale)
		s, fail = a.createSession(ctx)
	}
	if fail != nil {
		return fail
	}
	a.p.sessions.set(a.slot, s)
	a.use(s)
	return nil
}

type sessionAnswer struct {
	AccessJwt  string `json:"accessJwt"`
	RefreshJwt string `json:"refreshJwt"`
	DID        string `json:"did"`
	Handle     string `json:"handle"`
}

func (a *api) parseSession(resp *httpcall.Response, doing string) (*session, *herald.Result) {
	var ans sessionAnswer
	if err := json.Unmarshal(resp.Body, &ans); err != nil || ans.AccessJwt == "" || ans.DID == "" {
		r := a.result(herald.OutcomeRetry, doing+": the PDS's answer has no accessJwt or did")
		return nil, &r
	}
	s := &session{access: ans.AccessJwt, refresh: ans.RefreshJwt, did: ans.DID, handle: ans.Handle}
	a.secrets = append(a.secrets, s.access, s.refresh)
	return s, nil
}

// createSession opens a session with the handle and app password. A 4xx
// other than 429 means the pair cannot open a session: reauth.
func (a *api) createSession(ctx context.Context) (*session, *herald.Result) {
	if a.handle == "" || a.password == "" {
		r := a.result(herald.OutcomeReauth, "the channel has no handle or app_password configured")
		return nil, &r
	}
	body, _ := json.Marshal(map[string]string{"identifier": a.handle, "password": a.password})
	shown, _ := json.Marshal(map[string]string{"identifier": a.handle, "password": "<redacted>"})
	resp, fail := a.call(ctx, request{method: http.MethodPost, nsid: "com.atproto.server.createSession",
		body: body, ctype: "application/json", shown: shown})
	if fail != nil {
		return nil, fail
	}
	if resp.Status != http.StatusOK {
		r := a.failure(resp, "createSession")
		if r.Outcome == herald.OutcomeFailed {
			r.Outcome = herald.OutcomeReauth
			r.Reason = "the PDS refused to open a session, check the handle and app password: " + r.Reason
		}
		return nil, &r
	}
	return a.parseSession(resp, "createSession")
}

// refreshSession rotates stale's tokens. refused reports that the PDS
// would not take the refresh token (expired, revoked or invalid), so a new
// session must be created instead.
func (a *api) refreshSession(ctx context.Context, stale *session) (s *session, fail *herald.Result, refused bool) {
	resp, fail := a.call(ctx, request{method: http.MethodPost, nsid: "com.atproto.server.refreshSession", token: stale.refresh})
	if fail != nil {
		return nil, fail, false
	}
	if resp.Status == http.StatusOK {
		s, fail = a.parseSession(resp, "refreshSession")
		return s, fail, false
	}
	if resp.Status < 500 && resp.Status != http.StatusTooManyRequests && (expired(resp) || rejected(resp)) {
		return nil, nil, true
	}
	r := a.failure(resp, "refreshSession")
	return nil, &r, false
}
