package herald

import (
	"regexp"
	"strings"
	"testing"
)

// The audit log names users, tokens and review links as they are, and
// everything else as the system, keeping what it was in the id.
func TestAuditActorOf(t *testing.T) {
	for _, c := range []struct {
		in   Actor
		want AuditActor
	}{
		{Actor{Kind: "token", ID: "3", Name: "ci", UserID: 9}, AuditActor{"token", "3", "ci"}},
		{Actor{Kind: "user", ID: "9", Name: "ann"}, AuditActor{"user", "9", "ann"}},
		{Actor{Kind: "review_link", ID: "4", Name: "Client Bob"}, AuditActor{"review_link", "4", "Client Bob"}},
		{Actor{Kind: "scheduler", ID: "node-1"}, AuditActor{"system", "scheduler:node-1", ""}},
		{Actor{Kind: "reconciler"}, AuditActor{"system", "reconciler", ""}},
		{Actor{}, AuditActor{"system", "", ""}},
		{ActorOf(t.Context()), AuditActor{"system", "", ""}},
	} {
		if got := AuditActorOf(c.in); got != c.want {
			t.Errorf("AuditActorOf(%+v) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

// Actions are "<object>.<verb>", each listed once; a filter is one of them
// or a prefix of some ending in "."; an actor filter is kind[:id].
func TestAuditFilters(t *testing.T) {
	form := regexp.MustCompile(`^[a-z_]+\.[a-z_]+$`)
	seen := map[string]bool{}
	for _, a := range AuditActions {
		if !form.MatchString(a) || seen[a] {
			t.Errorf("action %q: not object.verb, or listed twice", a)
		}
		seen[a] = true
	}
	for _, ok := range []string{"", "plan.applied", "plan.", "review_link.", "channel.credentials_changed"} {
		if got, err := ParseAuditAction(ok); err != nil || got != ok {
			t.Errorf("ParseAuditAction(%q) = %q, %v", ok, got, err)
		}
	}
	for _, bad := range []string{"plan", "plan.apply", "Plan.", "nope.", ".", "plan.applied.", "%.", strings.Repeat("x", 5000)} {
		if _, err := ParseAuditAction(bad); ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), "plan.applied") {
			t.Errorf("ParseAuditAction(%.20q): %v, want EINVALID listing the actions", bad, err)
		}
	}
	for in, want := range map[string][2]string{"token:3": {"token", "3"}, "user": {"user", ""},
		"system:scheduler:node-1": {"system", "scheduler:node-1"}, "review_link:7": {"review_link", "7"}} {
		if k, id, err := ParseAuditActor(in); err != nil || [2]string{k, id} != want {
			t.Errorf("ParseAuditActor(%q) = %q %q %v, want %q", in, k, id, err, want)
		}
	}
	for _, bad := range []string{"", "robot:1", ":3", "Token:3", "token:" + strings.Repeat("9", 300)} {
		if _, _, err := ParseAuditActor(bad); ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), "review_link") {
			t.Errorf("ParseAuditActor(%.20q): %v, want EINVALID listing the kinds", bad, err)
		}
	}
}
