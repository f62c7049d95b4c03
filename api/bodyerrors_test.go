package api_test

import (
	"regexp"
	"strings"
	"testing"
)

// goNames are pieces of Go type names that must never reach a client.
var goNames = regexp.MustCompile(`api\.|herald\.|interface|map\[|\[\]|\*|struct|int64|float64|uint|Go `)

// A body of the wrong JSON shape is a 400 naming the field and the JSON type
// it must be, never a Go type.
func TestBadBodyNamesJSONTypes(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	tests := []struct {
		method, path, body string
		want               string // in the message
	}{
		{"POST", "/api/v1/workspaces", `[]`, "the body must be an object, not an array"},
		{"POST", "/api/v1/workspaces", `"acme"`, "the body must be an object, not a string"},
		{"POST", "/api/v1/workspaces", `{"slug":"b","name":5}`, "name must be a string, not a number"},
		{"PATCH", "/api/v1/workspaces/acme", `{"approval_required":"yes"}`, "approval_required must be true or false, not a string"},
		{"POST", "/api/v1/workspaces/acme/channels", `{"name":"c","platform":"outbox","slots":"mon"}`, "slots must be an array, not a string"},
		{"POST", "/api/v1/workspaces/acme/channels", `{"name":"c","platform":"outbox","slots":[{"day":1}]}`, "slots.day must be a string, not a number"},
		{"POST", "/api/v1/workspaces/acme/channels", `{"name":"c","platform":"outbox","config":[]}`, "config must be an object, not an array"},
		{"POST", "/api/v1/workspaces/acme/channels", `{"name":"c","platform":"outbox","credentials":{"token":1}}`, "credentials must be a string, not a number"},
		{"POST", "/api/v1/workspaces/acme/deliveries/1/resolve", `{"remote_id":7}`, "remote_id must be a string, not a number"},
	}
	for _, tc := range tests {
		r := must(t, e.do(tc.method, tc.path, tc.body, "Content-Type: application/json"), 400)
		if goNames.MatchString(r.String()) || !strings.Contains(r.String(), tc.want) {
			t.Errorf("%s %s %s: %s; want %q and no Go type name", tc.method, tc.path, tc.body, r, tc.want)
		}
	}
}
