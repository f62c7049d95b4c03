package instagram_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/instagram"
	"github.com/heraldhq/herald/publishers/instagram/instagramfake"
	cf "github.com/heraldhq/herald/publishers/internal/container/containerfake"
)

func TestReconcileWithStoredContainer(t *testing.T) {
	ctx := context.Background()
	for name, fault := range map[string]cf.Fault{"published": cf.DropAfterPost(), "not published": cf.Drop()} {
		t.Run(name, func(t *testing.T) {
			e := setup(t, instagramfake.Options{}, instagram.Options{})
			e.fake.Script(fault.On(cf.StepPublish))
			req := e.request("did it go out?", "https://cdn.example.com/a.jpg")
			if res := e.publish(t, req); res.Outcome != herald.OutcomeUnknown {
				t.Fatalf("publish %+v", res)
			}
			req.State = e.store.get(42)
			res, found, err := e.pub.Reconcile(ctx, req, e.clock.Now().Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			posts := e.fake.Posts()
			if found != (len(posts) == 1) {
				t.Fatalf("found=%v with %d posts", found, len(posts))
			}
			if found && (res.RemoteID != posts[0].ID || res.URL != posts[0].Permalink || res.Outcome != herald.OutcomePublished) {
				t.Fatalf("result %+v, post %+v", res, posts[0])
			}
		})
	}
}

func TestReconcileByTextSince(t *testing.T) {
	ctx := context.Background()
	e := setup(t, instagramfake.Options{}, instagram.Options{})
	req := e.request("matched by text", "https://cdn.example.com/a.jpg")
	old := e.fake.AddPost("matched by text", e.clock.Now().Add(-3*time.Hour))
	if _, found, err := e.pub.Reconcile(ctx, req, e.clock.Now().Add(-time.Hour)); err != nil || found {
		t.Fatalf("a post older than since was taken: found=%v err=%v", found, err)
	}
	res, found, err := e.pub.Reconcile(ctx, req, e.clock.Now().Add(-4*time.Hour))
	if err != nil || !found || res.RemoteID != old.ID || res.URL != old.Permalink {
		t.Fatalf("found=%v err=%v res %+v", found, err, res)
	}
	e.fake.Script(cf.ServiceUnavailable().On(cf.StepList))
	_, found, err = e.pub.Reconcile(ctx, req, time.Time{})
	if err == nil || found || strings.Contains(err.Error(), e.fake.Token) {
		t.Fatalf("failed lookup: found=%v err=%v", found, err)
	}
}
