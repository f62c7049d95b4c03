package storage

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/rs/zerolog"
)

func TestChannelCredentialsEncrypted(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	a := mustChannel(t, db, ws.ID, "tg-main", "telegram")
	b := &herald.Channel{WorkspaceID: ws.ID, Name: "tg-two", Platform: "telegram", Credentials: a.Credentials}
	if err := db.CreateChannel(ctx, b); err != nil {
		t.Fatal(err)
	}

	var blobs [][]byte
	if err := sel(ctx, db.w, &blobs, `SELECT credentials FROM channels ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	for _, blob := range blobs {
		if len(blob) == 0 || bytes.Contains(blob, []byte("SECRET")) || bytes.Contains(blob, []byte("bot_token")) {
			t.Fatalf("credentials stored in clear: %q", blob)
		}
	}
	if bytes.Equal(blobs[0], blobs[1]) {
		t.Fatal("same credentials sealed twice give the same blob: the nonce is not random")
	}

	got, err := db.Channel(ctx, ws.ID, "tg-main")
	if err != nil {
		t.Fatal(err)
	}
	if got.Credentials["bot_token"] != "123:SECRET-tg-main" || got.ConfigString("chat_id") != "@tg-main" || got.Platform != "telegram" {
		t.Fatalf("round trip: %+v", got)
	}

	// Another key cannot read them.
	other := []byte("ffffffffffffffffffffffffffffffff")
	db2, err := Open(dsnOf(db), Options{SecretKey: other, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if _, err := db2.Channel(ctx, ws.ID, "tg-main"); err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("read with another key: %v", err)
	}
}

func TestChannelUpdateDelete(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	ch := mustChannel(t, db, ws.ID, "tg-main", "telegram")
	mustChannel(t, db, ws.ID, "masto", "mastodon")

	dup := &herald.Channel{WorkspaceID: ws.ID, Name: "tg-main", Platform: "outbox"}
	wantCode(t, db.CreateChannel(ctx, dup), herald.ECONFLICT)
	wantCode(t, db.CreateChannel(ctx, &herald.Channel{WorkspaceID: 999, Name: "x", Platform: "outbox"}), herald.ENOTFOUND)

	// Credentials nil keeps the stored ones; config and slots change.
	upd := *ch
	upd.Credentials = nil
	upd.Config = map[string]any{"chat_id": "@new"}
	upd.Slots = []herald.Slot{{Day: "mon", Time: "10:00"}}
	if err := db.UpdateChannel(ctx, &upd); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Channel(ctx, ws.ID, "tg-main")
	if got.Credentials["bot_token"] != "123:SECRET-tg-main" || got.ConfigString("chat_id") != "@new" || len(got.Slots) != 1 {
		t.Fatalf("after update: %+v", got)
	}
	upd.Credentials = map[string]string{"bot_token": "456:NEW"}
	if err := db.UpdateChannel(ctx, &upd); err != nil {
		t.Fatal(err)
	}
	if got, _ = db.Channel(ctx, ws.ID, "tg-main"); got.Credentials["bot_token"] != "456:NEW" {
		t.Fatalf("credentials not replaced: %v", got.Credentials)
	}
	upd.Platform = "mastodon"
	wantCode(t, db.UpdateChannel(ctx, &upd), herald.EVALIDATION)
	upd.Platform, upd.Name = "telegram", "masto"
	wantCode(t, db.UpdateChannel(ctx, &upd), herald.ECONFLICT)
	upd.Name, upd.WorkspaceID = "tg-main", 999
	wantCode(t, db.UpdateChannel(ctx, &upd), herald.ENOTFOUND)

	// Config merge (e.g. Telegram's migrate_to_chat_id), nil removes a key.
	if err := db.UpdateChannelConfig(ctx, ch.ID, map[string]any{"chat_id": "-100", "parse_mode": "HTML"}); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateChannelConfig(ctx, ch.ID, map[string]any{"parse_mode": nil}); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Channel(ctx, ws.ID, "tg-main")
	if got.ConfigString("chat_id") != "-100" || len(got.Config) != 1 {
		t.Fatalf("config = %v", got.Config)
	}
	wantCode(t, db.UpdateChannelConfig(ctx, 999, map[string]any{"a": 1}), herald.ENOTFOUND)

	// Delete: one delivery published, one scheduled, one publishing on another channel.
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "A", "tg-main"), mkPost("b", 3, t0.Add(time.Hour), "B", "tg-main")})
	publish(t, db, t0)
	ids := deliveryIDs(t, db, ws.ID)
	if _, err := db.ClaimDue(ctx, "w1", t0.Add(time.Hour), time.Minute, 10); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.DeleteChannel(ctx, ws.ID, "tg-main"), herald.ECONFLICT) // b is publishing
	if _, err := exec(ctx, db.w, `UPDATE deliveries SET status = 'scheduled' WHERE id = ?`, ids[[2]string{"b", "tg-main"}]); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteChannel(ctx, ws.ID, "tg-main"); err != nil {
		t.Fatal(err)
	}
	if s := statusOf(t, db, ids[[2]string{"b", "tg-main"}]); s != herald.StatusCancelled {
		t.Fatalf("scheduled delivery after channel delete: %s", s)
	}
	if s := statusOf(t, db, ids[[2]string{"a", "tg-main"}]); s != herald.StatusPublished {
		t.Fatalf("published delivery after channel delete: %s", s)
	}
	_, err := db.Channel(ctx, ws.ID, "tg-main")
	wantCode(t, err, herald.ENOTFOUND)
	wantCode(t, db.DeleteChannel(ctx, ws.ID, "tg-main"), herald.ENOTFOUND)
	if d, err := db.Delivery(ctx, ws.ID, ids[[2]string{"a", "tg-main"}]); err != nil || d.ChannelName != "tg-main" {
		t.Fatalf("published history unreadable: %v %v", d, err)
	}
	list, _ := db.ListChannels(ctx, ws.ID)
	if len(list) != 1 || list[0].Name != "masto" {
		t.Fatalf("list after delete: %v", list)
	}
	mustChannel(t, db, ws.ID, "tg-main", "telegram") // the name is free again
}

// A publisher's config update (Telegram's migrate_to_chat_id) changes where
// later posts go, so it is in the audit log as channel.changed, by the
// scheduler that stored it, in the completion's transaction; an update that
// changes nothing writes no entry, and no value is written (only key names).
func TestChannelConfigUpdateAudited(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	ch := mustChannel(t, db, ws.ID, "tg", "telegram")
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "A", "tg"), mkPost("b", 3, t0, "B", "tg")})
	before := len(auditLines(t, db, herald.AuditFilter{WorkspaceID: ws.ID}))

	for _, chat := range []string{"-100777", "-100777"} { // the second changes nothing
		jobs, err := db.ClaimDue(scheduler, "w1", t0, time.Minute, 1)
		if err != nil || len(jobs) != 1 {
			t.Fatalf("claim: %v %v", jobs, err)
		}
		res := herald.Result{Outcome: herald.OutcomePublished, RemoteID: "1", ConfigUpdate: map[string]any{"chat_id": chat}}
		if err := db.Complete(scheduler, "w1", jobs[0], res, t0, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.UpdateChannelConfig(editor, ch.ID, map[string]any{"parse_mode": "HTML", "absent": nil}); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateChannelConfig(editor, ch.ID, map[string]any{"parse_mode": nil}); err != nil {
		t.Fatal(err)
	}
	got := auditLines(t, db, herald.AuditFilter{WorkspaceID: ws.ID})
	wantLines(t, got[before:],
		`channel.changed channel tg by system:scheduler:w1 {"fields":["config"],"keys":["chat_id"],"refreshed":true}`,
		`channel.changed channel tg by token:7 (ci) {"fields":["config"],"keys":["parse_mode"],"refreshed":true}`,
		`channel.changed channel tg by token:7 (ci) {"fields":["config"],"keys":["parse_mode"],"refreshed":true}`,
	)
	for _, line := range got {
		if strings.Contains(line, "-100777") || strings.Contains(line, "HTML") {
			t.Errorf("a config value in the audit log: %s", line)
		}
	}
}
