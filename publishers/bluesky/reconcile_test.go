package bluesky_test

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func TestReconcile(t *testing.T) {
	e := setup(t)
	posted := publishOK(t, e, e.request("herald-1", herald.Message{Text: "Launch day", Link: "https://brand.example"}))
	publishOK(t, e, e.request("herald-2", herald.Message{Text: "Another post"}))
	since := e.clock.Now().Add(-time.Hour)
	tests := []struct {
		name  string
		req   herald.PublishRequest
		since time.Time
		found bool
	}{
		{name: "same record key", req: e.request("herald-1", herald.Message{Text: "edited since"}), since: since.Add(2 * time.Hour), found: true},
		{name: "same text, another key", req: e.request("herald-x", herald.Message{Text: "Launch day", Link: "https://brand.example"}), since: since, found: true},
		{name: "same text, created before since", req: e.request("herald-x", herald.Message{Text: "Launch day", Link: "https://brand.example"}), since: since.Add(2 * time.Hour)},
		{name: "same text, other media count", req: e.request("herald-x", herald.Message{Text: "Launch day", Link: "https://brand.example", Media: []string{"https://m.example/1.png"}}), since: since},
		{name: "not there", req: e.request("herald-y", herald.Message{Text: "Never posted"}), since: since},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, found, err := e.pub.Reconcile(context.Background(), tc.req, tc.since)
			if err != nil || found != tc.found {
				t.Fatalf("found %v err %v, want found %v", found, err, tc.found)
			}
			if found && (res.Outcome != herald.OutcomePublished || res.RemoteID != posted.RemoteID || res.URL != posted.URL) {
				t.Errorf("result %+v, want the post %s %s", res, posted.RemoteID, posted.URL)
			}
			if !found && (res.Outcome != "" || res.RemoteID != "") {
				t.Errorf("not found, but result %+v", res)
			}
		})
	}
	req := e.request("herald-1", herald.Message{Text: "x"})
	req.Channel.ID = 99
	req.Channel.Credentials["app_password"] = "wxyz-wxyz-wxyz-wxyz"
	if _, _, err := e.pub.Reconcile(context.Background(), req, since); herald.ErrorCode(err) != herald.EUNAUTHORIZED {
		t.Errorf("wrong password: %v, want unauthorized", err)
	}
}

// Reconcile pages through listRecords with its cursor.
func TestReconcilePages(t *testing.T) {
	e := setup(t)
	for i := range 150 {
		publishOK(t, e, e.request("bulk-"+itoa(i), herald.Message{Text: "bulk " + itoa(i)}))
	}
	for i := range 150 {
		if _, ok, err := e.pub.Reconcile(context.Background(), e.request("bulk-"+itoa(i), herald.Message{Text: "?"}), time.Time{}); err != nil || !ok {
			t.Fatalf("bulk-%d: found %v err %v", i, ok, err)
		}
	}
	before := len(e.fake.CallsTo("com.atproto.repo.listRecords"))
	if _, ok, err := e.pub.Reconcile(context.Background(), e.request("absent", herald.Message{Text: "?"}), time.Time{}); err != nil || ok {
		t.Fatalf("absent: found %v err %v", ok, err)
	}
	if pages := len(e.fake.CallsTo("com.atproto.repo.listRecords")) - before; pages != 2 {
		t.Errorf("%d listRecords pages read for an absent post among 150, want 2", pages)
	}
}
