package storage

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// linkDecide decides, as a review link's reviewer, posts of plan dec.
func linkDecide(t *testing.T, db *DB, secret, decision, note string, keys ...string) (*herald.DecisionResult, error) {
	t.Helper()
	l, err := db.ReviewLinkByToken(ctx, secret)
	if err != nil {
		return nil, err
	}
	a := herald.Actor{Kind: "review_link", ID: strconv.FormatInt(l.ID, 10), Name: "Anna (client)"}
	return db.DecidePosts(as(a), l.WorkspaceID, l.Plan, herald.DecisionRequest{Decision: decision, Note: note, Posts: keys, LinkID: l.ID})
}

// A review link decides its step only, as its reviewer; its token is kept
// hashed; expired and revoked links are not found.
func TestReviewLinks(t *testing.T) {
	db, ws := approvalWorkspace(t, false, internalStep, clientStep)
	due := t0.Add(48 * time.Hour)
	p := mkPost("a", 2, due, "Hello", "tg-main")
	p.Variants = map[string]herald.Variant{"telegram": {Text: "Hello, Telegram"}}
	applyAs(t, db, ws.ID, uploader, p, mkPost("b", 3, due, "Bye", "tg-main"))

	_, _, err := db.CreateReviewLink(as(manager), ws.ID, "dec", herald.ReviewLinkInput{Step: "nope", Name: "Anna"})
	wantCode(t, err, herald.EVALIDATION)
	_, _, err = db.CreateReviewLink(as(manager), ws.ID, "other", herald.ReviewLinkInput{Step: "client", Name: "Anna"})
	wantCode(t, err, herald.ENOTFOUND)
	secret, link, err := db.CreateReviewLink(as(manager), ws.ID, "dec", herald.ReviewLinkInput{Step: "client", Name: "Anna"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, reviewPrefix) || len(secret) < len(reviewPrefix)+43 || link.State != "active" ||
		!link.ExpiresAt.Equal(t0.Add(herald.DefaultReviewLinkTTL)) || link.CreatedBy != "token:2" {
		t.Fatalf("link %q %+v", secret, link)
	}
	var stored int
	if err := get(ctx, db.r, &stored, `SELECT COUNT(*) FROM review_links WHERE token_hash = ? OR token_hash = ?`, secret, hashSecret(secret)); err != nil || stored != 1 {
		t.Fatalf("stored %d (%v)", stored, err)
	}
	var plain int
	if err := get(ctx, db.r, &plain, `SELECT COUNT(*) FROM review_links WHERE token_hash = ?`, secret); err != nil || plain != 0 {
		t.Fatal("the token is stored in plain")
	}

	// The page: each post as the channel publishes it, in the channel's zone.
	l, err := db.ReviewLinkByToken(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	page, err := db.ReviewPage(ctx, l, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if page.Workspace != "Brand brand" || page.Link.Step != "client" || len(page.Posts) != 1 || page.NextCursor == "" {
		t.Fatalf("page %+v", page)
	}
	d := page.Posts[0].Deliveries[0]
	if page.Posts[0].Key != "a" || page.Posts[0].Approval.Step != "internal" || d.Text != "Hello, Telegram" ||
		d.LocalTime != "2026-12-03 11:00" || d.Timezone != "Europe/Berlin" || d.Status != herald.StatusPendingApproval {
		t.Fatalf("post %+v", page.Posts[0])
	}
	if page, err = db.ReviewPage(ctx, l, page.NextCursor, 1); err != nil || len(page.Posts) != 1 || page.Posts[0].Key != "b" || page.NextCursor != "" {
		t.Fatalf("second page %+v (%v)", page, err)
	}

	// A link for the client's step cannot decide the internal one.
	_, err = linkDecide(t, db, secret, herald.DecisionApproved, "", "a")
	wantCode(t, err, herald.EFORBIDDEN)
	_, err = linkDecide(t, db, secret, herald.DecisionApproved, "")
	wantCode(t, err, herald.ECONFLICT)
	if _, err := decide(t, db, ws.ID, manager, herald.RoleManager, herald.DecisionApproved); err != nil {
		t.Fatal(err)
	}
	// Now it can: the reviewer approves a and rejects b, as the link.
	if _, err := linkDecide(t, db, secret, herald.DecisionApproved, "", "a"); err != nil {
		t.Fatal(err)
	}
	got, err := linkDecide(t, db, secret, herald.DecisionRejected, "Not this week")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Posts) != 1 || got.Posts[0].Key != "b" || got.Posts[0].State != herald.ApprovalRejected {
		t.Fatalf("rejection %+v", got)
	}
	a, sts := approvalOf(t, db, ws.ID, "a")
	if a.State != herald.ApprovalApproved || sts[0] != herald.StatusScheduled ||
		a.Decisions[1].By != (herald.Decider{Kind: "review_link", ID: strconv.FormatInt(link.ID, 10), Name: "Anna (client)"}) {
		t.Fatalf("a %+v %v", a, sts)
	}
	var linked int
	if err := get(ctx, db.r, &linked, `SELECT COUNT(*) FROM approval_decisions WHERE link_id = ?`, link.ID); err != nil || linked != 2 {
		t.Errorf("decisions by the link: %d (%v)", linked, err)
	}

	// Revoked: not found, for reading and deciding; revoking again is the same.
	if _, err := db.RevokeReviewLink(ctx, ws.ID, "dec", link.ID+1); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Errorf("revoke an unknown link: %v", err)
	}
	r, err := db.RevokeReviewLink(ctx, ws.ID, "dec", link.ID)
	if err != nil || r.State != "revoked" {
		t.Fatalf("revoke %+v %v", r, err)
	}
	_, err = db.ReviewLinkByToken(ctx, secret)
	wantCode(t, err, herald.ENOTFOUND)
	_, err = db.DecidePosts(as(manager), ws.ID, "dec", herald.DecisionRequest{Decision: herald.DecisionApproved, LinkID: link.ID})
	wantCode(t, err, herald.ENOTFOUND)
	if _, err := db.RevokeReviewLink(ctx, ws.ID, "dec", link.ID); err != nil {
		t.Errorf("revoke twice: %v", err)
	}

	// Expired: not found.
	short, _, err := db.CreateReviewLink(as(manager), ws.ID, "dec", herald.ReviewLinkInput{Step: "client", Name: "Short", ExpiresIn: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ReviewLinkByToken(ctx, short); err != nil {
		t.Fatal(err)
	}
	clockOf(db).Set(t0.Add(time.Hour))
	_, err = db.ReviewLinkByToken(ctx, short)
	wantCode(t, err, herald.ENOTFOUND)
	_, err = db.ReviewLinkByToken(ctx, "hrvw_wrong")
	wantCode(t, err, herald.ENOTFOUND)

	links, err := db.ListReviewLinks(ctx, ws.ID, "dec")
	if err != nil || len(links) != 2 || links[0].State != "revoked" || links[1].State != "expired" {
		t.Fatalf("links %+v (%v)", links, err)
	}
	_, _, err = db.CreateReviewLink(as(manager), ws.ID, "dec", herald.ReviewLinkInput{Step: "client", Name: "Long", ExpiresIn: 91 * 24 * time.Hour})
	wantCode(t, err, herald.EVALIDATION)
}

// Deleting the workspace deletes its links and decisions.
func TestReviewLinksDeletedWithWorkspace(t *testing.T) {
	db, ws := approvalWorkspace(t, false, internalStep)
	applyAs(t, db, ws.ID, uploader, mkPost("a", 2, t0.Add(48*time.Hour), "Hello", "tg-main"))
	if _, _, err := db.CreateReviewLink(as(manager), ws.ID, "dec", herald.ReviewLinkInput{Step: "internal", Name: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := decide(t, db, ws.ID, manager, herald.RoleManager, herald.DecisionApproved); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteWorkspace(ctx, ws.ID); err != nil {
		t.Fatal(err)
	}
}

// Decisions and review links are in the audit log, each with its actor: a
// decision by a link is the link's, named by the reviewer as given.
func TestApprovalAudited(t *testing.T) {
	db, ws := approvalWorkspace(t, false, internalStep, clientStep)
	applyAs(t, db, ws.ID, uploader, mkPost("a", 2, t0.Add(48*time.Hour), "Hello", "tg-main"))
	secret, link, err := db.CreateReviewLink(as(manager), ws.ID, "dec", herald.ReviewLinkInput{Step: "client", Name: "Anna"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decide(t, db, ws.ID, manager, herald.RoleManager, herald.DecisionApproved); err != nil {
		t.Fatal(err)
	}
	if _, err := linkDecide(t, db, secret, herald.DecisionRejected, "Not now"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RevokeReviewLink(as(manager), ws.ID, "dec", link.ID); err != nil {
		t.Fatal(err)
	}
	entries, _, err := db.AuditLog(ctx, herald.AuditFilter{WorkspaceID: ws.ID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "post.") || strings.HasPrefix(e.Action, "review_link.") {
			got = append(got, e.Action+" "+e.Actor.Kind+":"+e.Actor.Name+" "+e.Target)
		}
	}
	lid := strconv.FormatInt(link.ID, 10)
	want := []string{
		"review_link.revoked token:manager review link " + lid,
		"review_link.used review_link:Anna (client) review link " + lid,
		"post.rejected review_link:Anna (client) plan dec",
		"post.approved token:manager plan dec",
		"review_link.created token:manager review link " + lid,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, e := range entries {
		if e.Action == herald.AuditPostRejected && (e.Details["note"] != "Not now" || e.Details["count"] != float64(1)) {
			t.Errorf("rejection details %v", e.Details)
		}
		if e.Action == herald.AuditReviewLinkCreated && strings.Contains(fmtAny(e.Details), secret) {
			t.Error("the token is in the audit log")
		}
	}
}

func fmtAny(v any) string { return strings.TrimSpace(fmt.Sprint(v)) }
