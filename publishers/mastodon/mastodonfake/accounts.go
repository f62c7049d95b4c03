package mastodonfake

import (
	"net/http"
	"strconv"
	"strings"
)

// AccountID is the id of the fake's one account.
const AccountID = "1"

func (s *Server) accountJSON() map[string]any {
	return map[string]any{"id": AccountID, "username": s.opts.Account, "acct": s.opts.Account,
		"display_name": "Herald", "url": s.URL + "/@" + s.opts.Account, "locked": false, "bot": false}
}

// credentialAccount is the CredentialAccount verify_credentials answers:
// the account with its source settings.
func (s *Server) credentialAccount() map[string]any {
	a := s.accountJSON()
	a["source"] = map[string]any{"privacy": "public", "sensitive": false, "language": "", "note": ""}
	return a
}

func isAccountStatuses(path string) bool {
	rest, ok := strings.CutPrefix(path, "/api/v1/accounts/")
	id, tail, ok2 := strings.Cut(rest, "/")
	return ok && ok2 && id != "" && tail == "statuses"
}

// accountStatuses answers GET /api/v1/accounts/:id/statuses: the account's
// statuses newest first, limit (default 20, at most 40) of them, older than
// max_id and newer than since_id when given; 404 for another account.
func (s *Server) accountStatuses(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/v1/accounts/"), "/statuses")
	if id != AccountID {
		writeError(w, http.StatusNotFound, "Record not found")
		return
	}
	q := r.URL.Query()
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 {
		limit = 20
	}
	limit = min(limit, 40)
	maxID, _ := strconv.ParseInt(q.Get("max_id"), 10, 64)
	sinceID, _ := strconv.ParseInt(q.Get("since_id"), 10, 64)
	all := s.statuses.All()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for i := len(all) - 1; i >= 0 && len(out) < limit; i-- {
		n, _ := strconv.ParseInt(all[i].ID, 10, 64)
		if (maxID != 0 && n >= maxID) || (sinceID != 0 && n <= sinceID) {
			continue
		}
		out = append(out, s.statusJSON(all[i]))
	}
	writeJSON(w, http.StatusOK, out)
}
