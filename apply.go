package herald

import (
	"context"
	"errors"
	"time"
)

// Applying a plan upload is one use case: the API's PUT …/plans/{key}, the
// CLI (through that route) and a later web page all call PlanApplier.Apply.
// It builds the upload against the workspace's channels, makes one storage
// call — which, in one transaction, places "next free slot" rows, diffs the
// rows, decides each delivery's first status (pending_approval when the
// workspace has approval steps) and warns about spacing against the
// workspace's other plans — and assembles the warnings once, in a fixed
// order. Who applies travels in the context (ActorOf): storage records it
// on every delivery event and as the uploader of each new post version.

// BuildFunc parses and validates an upload against the channels it names
// (contentplans.Build): the plan, its posts in file order, warnings, or an
// EVALIDATION *Error listing every problem.
type BuildFunc func(PlanUpload) (Plan, []Post, []Problem, error)

// PlanStore is what applying a plan needs of storage (*storage.DB).
type PlanStore interface {
	ListChannels(ctx context.Context, wsID int64) ([]*Channel, error)
	// ApplyPlan applies the built plan as a diff in one transaction (only
	// plans it with dryRun) and answers it, with its warnings against the
	// workspace's other plans.
	ApplyPlan(ctx context.Context, wsID int64, plan Plan, posts []Post, dryRun bool) (*PlanResult, error)
}

// PlanApplier applies plan uploads. Build is required; Sniff and Now may be
// nil.
type PlanApplier struct {
	Store PlanStore
	Build BuildFunc
	// Sniff tells a file's format from its bytes (contentplans.Sniff), for
	// the words of the derived-key warnings when the upload names none.
	Sniff func(body []byte) string
	// Now is the clock (default Now).
	Now func() time.Time
}

// ApplyRequest is one upload to apply to a workspace.
type ApplyRequest struct {
	WorkspaceID int64
	// Upload is the file and how to read it (Key, Body, Format, Timezone,
	// Encoding, Profile, Sheet, DateOrder, DefaultChannels); Apply fills in
	// Channels and Now.
	Upload PlanUpload
	// DryRun answers what the apply would do and changes nothing.
	DryRun bool
}

// Apply builds the upload and applies it. The answer's warnings are, in
// this order, the upload's own (Build's: times, spacing within the file, …),
// those against the workspace's other plans and of approval (storage's), and
// the derived-key ones. It returns Build's and ApplyPlan's errors (EVALIDATION
// with every problem, each with its file line; EUNSUPPORTED; EINVALID;
// ENOTFOUND; ECONFLICT; EUNAVAILABLE) and an error when Build is not set.
func (a *PlanApplier) Apply(ctx context.Context, req ApplyRequest) (*PlanResult, error) {
	if a.Build == nil {
		return nil, errors.New("plan apply: no BuildFunc is configured")
	}
	now := a.Now
	if now == nil {
		now = Now
	}
	chs, err := a.Store.ListChannels(ctx, req.WorkspaceID)
	if err != nil {
		return nil, err
	}
	up := req.Upload
	up.Channels = make(map[string]*Channel, len(chs))
	for _, ch := range chs {
		up.Channels[ch.Name] = ch
	}
	up.Now = now()
	format := up.Format
	if format == "" && a.Sniff != nil {
		format = a.Sniff(up.Body) // for the warnings' words; Build tells it again
	}
	plan, posts, warnings, err := a.Build(up)
	if err != nil {
		return nil, err
	}
	plan.Key = up.Key
	res, err := a.Store.ApplyPlan(ctx, req.WorkspaceID, plan, posts, req.DryRun)
	if err != nil {
		SetLines(ErrorDetails(err), posts)
		return nil, err
	}
	res.DryRun = req.DryRun
	SetLines(res.Warnings, posts)
	res.Warnings = append(append(append([]Problem{}, warnings...), res.Warnings...), DerivedKeyWarnings(posts, format, up.Profile)...)
	if res.Rows == nil {
		res.Rows = []RowResult{}
	}
	return res, nil
}
