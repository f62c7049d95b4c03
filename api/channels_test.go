package api_test

import (
	"context"
	"strings"
	"testing"
)

func TestChannelCredentialsAreWriteOnly(t *testing.T) {
	e := newEnv(t)
	must(t, e.do("POST", "/api/v1/workspaces", map[string]any{"slug": "acme", "name": "Acme"}), 201)
	const secret = "123:SECRET-BOT-TOKEN"
	noSecret := func(what string, r resp) {
		t.Helper()
		if strings.Contains(r.String(), "SECRET-BOT-TOKEN") || strings.Contains(r.String(), "bot_token") {
			t.Errorf("%s shows credentials: %s", what, r.body)
		}
		if !strings.Contains(r.String(), `"has_credentials":true`) {
			t.Errorf("%s lacks has_credentials: %s", what, r.body)
		}
	}
	noSecret("create", must(t, e.do("POST", "/api/v1/workspaces/acme/channels", map[string]any{
		"name": "tg-main", "platform": "telegram", "timezone": "Europe/Moscow",
		"slots":       []map[string]string{{"day": "mon", "time": "10:00"}},
		"config":      map[string]any{"chat_id": "@brand"},
		"credentials": map[string]string{"bot_token": secret},
	}), 201))
	noSecret("get", must(t, e.do("GET", "/api/v1/workspaces/acme/channels/tg-main", nil), 200))
	noSecret("list", must(t, e.do("GET", "/api/v1/workspaces/acme/channels", nil), 200))

	// PATCH without credentials keeps the stored ones.
	r := must(t, e.do("PATCH", "/api/v1/workspaces/acme/channels/tg-main", map[string]any{"config": map[string]any{"chat_id": "@other"}}), 200)
	noSecret("patch", r)
	if !strings.Contains(r.String(), "@other") || !strings.Contains(r.String(), "Europe/Moscow") {
		t.Errorf("patch did not apply or lost fields: %s", r.body)
	}
	ws, err := e.db.Workspace(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	ch, err := e.db.Channel(context.Background(), ws.ID, "tg-main")
	if err != nil {
		t.Fatal(err)
	}
	if ch.Credentials["bot_token"] != secret {
		t.Errorf("credentials after patch without them: %v", ch.Credentials != nil)
	}

	// PATCH with credentials replaces them, still never shown.
	noSecret("patch creds", must(t, e.do("PATCH", "/api/v1/workspaces/acme/channels/tg-main",
		map[string]any{"credentials": map[string]string{"bot_token": "456:SECRET-BOT-TOKEN-2"}}), 200))
	ch, err = e.db.Channel(context.Background(), ws.ID, "tg-main")
	if err != nil {
		t.Fatal(err)
	}
	if ch.Credentials["bot_token"] != "456:SECRET-BOT-TOKEN-2" {
		t.Errorf("credentials not replaced")
	}
}

func TestChannelCRUDAndValidation(t *testing.T) {
	e := newEnv(t)
	must(t, e.do("POST", "/api/v1/workspaces", map[string]any{"slug": "acme", "name": "Acme"}), 201)
	r := must(t, e.do("POST", "/api/v1/workspaces/acme/channels", map[string]any{"name": "demo", "platform": "outbox"}), 201)
	if !strings.Contains(r.String(), `"has_credentials":false`) || !strings.Contains(r.String(), `"slots":[]`) {
		t.Errorf("create: %s", r.body)
	}
	must(t, e.do("POST", "/api/v1/workspaces/acme/channels", map[string]any{"name": "demo", "platform": "outbox"}), 409)

	r = must(t, e.do("POST", "/api/v1/workspaces/acme/channels", map[string]any{"name": "x", "platform": "myspace"}), 422)
	if r.errorCode(t) != "validation" || !strings.Contains(r.String(), "unknown_platform") {
		t.Errorf("unknown platform: %s", r.body)
	}
	// Own and platform problems come together.
	r = must(t, e.do("POST", "/api/v1/workspaces/acme/channels", map[string]any{"name": "Bad Name", "platform": "myspace",
		"slots": []map[string]string{{"day": "someday", "time": "25:00"}}}), 422)
	for _, want := range []string{"invalid_name", "unknown_platform", "invalid_day", "invalid_time"} {
		if !strings.Contains(r.String(), want) {
			t.Errorf("missing %s in %s", want, r.body)
		}
	}
	must(t, e.do("POST", "/api/v1/workspaces/acme/channels", `{"name":"y","platform":"outbox","credentails":{}}`, "Content-Type: application/json"), 400)
	must(t, e.do("PATCH", "/api/v1/workspaces/acme/channels/demo", map[string]any{"platform": "telegram"}), 422)
	must(t, e.do("POST", "/api/v1/workspaces/nope/channels", map[string]any{"name": "demo", "platform": "outbox"}), 404)
	must(t, e.do("GET", "/api/v1/workspaces/nope/channels", nil), 404)
	must(t, e.do("GET", "/api/v1/workspaces/acme/channels/nope", nil), 404)

	must(t, e.do("DELETE", "/api/v1/workspaces/acme/channels/demo", nil), 204)
	must(t, e.do("GET", "/api/v1/workspaces/acme/channels/demo", nil), 404)
}

// Slot days as people write them are stored as mon…sun, times as HH:MM,
// on create and on patch.
func TestChannelSlotDayNames(t *testing.T) {
	e := newEnv(t)
	must(t, e.do("POST", "/api/v1/workspaces", map[string]any{"slug": "acme", "name": "Acme"}), 201)
	r := must(t, e.do("POST", "/api/v1/workspaces/acme/channels", map[string]any{"name": "demo", "platform": "outbox",
		"slots": []map[string]string{{"day": "Monday", "time": "9:30"}, {"day": "пн", "time": "10.00"}, {"day": "Fri.", "time": "18:30"}}}), 201)
	if want := `"slots":[{"day":"mon","time":"09:30"},{"day":"mon","time":"10:00"},{"day":"fri","time":"18:30"}]`; !strings.Contains(r.String(), want) {
		t.Errorf("create: %s\nwant %s", r.body, want)
	}
	r = must(t, e.do("PATCH", "/api/v1/workspaces/acme/channels/demo", map[string]any{
		"slots": []map[string]string{{"day": "Вторник", "time": "10:00"}, {"day": "SUN", "time": "12:00"}}}), 200)
	if want := `"slots":[{"day":"tue","time":"10:00"},{"day":"sun","time":"12:00"}]`; !strings.Contains(r.String(), want) {
		t.Errorf("patch: %s\nwant %s", r.body, want)
	}
	r = must(t, e.do("PATCH", "/api/v1/workspaces/acme/channels/demo", map[string]any{
		"slots": []map[string]string{{"day": "funday", "time": "10:00"}}}), 422)
	if !strings.Contains(r.String(), `"column":"slots[0].day","code":"invalid_day"`) || !strings.Contains(r.String(), "понедельник") {
		t.Errorf("bad day: %s", r.body)
	}
}
