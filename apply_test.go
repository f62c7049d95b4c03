package herald

import (
	"context"
	"reflect"
	"testing"
	"time"
)

// planStoreStub records the ApplyPlan call and answers with res or err.
type planStoreStub struct {
	channels []*Channel
	res      *PlanResult
	err      error
	got      struct {
		wsID   int64
		plan   Plan
		posts  []Post
		dryRun bool
		actor  Actor
	}
}

func (s *planStoreStub) ListChannels(ctx context.Context, wsID int64) ([]*Channel, error) {
	return s.channels, nil
}

func (s *planStoreStub) ApplyPlan(ctx context.Context, wsID int64, plan Plan, posts []Post, dryRun bool) (*PlanResult, error) {
	s.got.wsID, s.got.plan, s.got.posts, s.got.dryRun, s.got.actor = wsID, plan, posts, dryRun, ActorOf(ctx)
	return s.res, s.err
}

// Apply builds against the workspace's channels at its clock, makes one
// storage call with the actor in the context, and answers the warnings in
// one order: the upload's, storage's (with file lines), the derived keys'.
func TestPlanApplierApply(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	store := &planStoreStub{channels: []*Channel{{Name: "tg"}},
		res: &PlanResult{Plan: "dec", Warnings: []Problem{{Row: 3, Code: "close_posts"}}}}
	var built PlanUpload
	a := &PlanApplier{Store: store, Now: func() time.Time { return now }, Sniff: func([]byte) string { return "csv" },
		Build: func(up PlanUpload) (Plan, []Post, []Problem, error) {
			built = up
			return Plan{Title: "December"}, []Post{{Key: "k1", Row: 2}, {Key: "derived", KeyDerived: true, Row: 3, Line: 5}},
				[]Problem{{Row: 2, Code: "past_time"}}, nil
		}}
	ctx := WithActor(context.Background(), Actor{Kind: "token", ID: "7"})
	res, err := a.Apply(ctx, ApplyRequest{WorkspaceID: 4, DryRun: true, Upload: PlanUpload{Key: "dec", Body: []byte("x")}})
	if err != nil {
		t.Fatal(err)
	}
	if built.Channels["tg"] == nil || !built.Now.Equal(now) {
		t.Errorf("built with channels %v at %v", built.Channels, built.Now)
	}
	if store.got.wsID != 4 || store.got.plan.Key != "dec" || !store.got.dryRun || store.got.actor.ID != "7" || len(store.got.posts) != 2 {
		t.Errorf("ApplyPlan got %+v", store.got)
	}
	var codes []string
	for _, w := range res.Warnings {
		codes = append(codes, w.Code)
	}
	if !reflect.DeepEqual(codes, []string{"past_time", "close_posts", "derived_key"}) || res.Warnings[1].Line != 5 {
		t.Errorf("warnings %+v", res.Warnings)
	}
	if !res.DryRun || res.Rows == nil {
		t.Errorf("result %+v", res)
	}

	// Storage's problems get their file lines too.
	store.res, store.err = nil, &Error{Code: EVALIDATION, Details: []Problem{{Row: 3, Code: "no_free_slot"}}}
	_, err = a.Apply(ctx, ApplyRequest{Upload: PlanUpload{Key: "dec"}})
	if d := ErrorDetails(err); len(d) != 1 || d[0].Line != 5 {
		t.Errorf("error %v details %+v", err, d)
	}

	if _, err := (&PlanApplier{Store: store}).Apply(ctx, ApplyRequest{}); err == nil {
		t.Error("no BuildFunc: no error")
	}
}
