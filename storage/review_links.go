package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// Review links: a client decides one approval step of one plan by a link,
// with no account. The token (reviewPrefix + 32 random bytes, base64url) is
// shown once; review_links keeps its SHA-256. An unknown, expired or revoked
// token, or one of a deleted plan, is ENOTFOUND, the same for each.

// reviewPrefix starts every review link token.
const reviewPrefix = "hrvw_"

type reviewLinkRow struct {
	ID          int64         `db:"id"`
	WorkspaceID int64         `db:"workspace_id"`
	PlanKey     string        `db:"plan_key"`
	Step        string        `db:"step"`
	Name        string        `db:"name"`
	CreatedBy   string        `db:"created_by"`
	CreatedAt   int64         `db:"created_at"`
	ExpiresAt   int64         `db:"expires_at"`
	RevokedAt   sql.NullInt64 `db:"revoked_at"`
}

const reviewLinkSelect = `SELECT l.id, l.workspace_id, pl.key AS plan_key, l.step, l.name, l.created_by, l.created_at, l.expires_at, l.revoked_at
	FROM review_links l JOIN plans pl ON pl.id = l.plan_id`

func (r reviewLinkRow) link(now int64) *herald.ReviewLink {
	l := &herald.ReviewLink{ID: r.ID, WorkspaceID: r.WorkspaceID, Plan: r.PlanKey, Step: r.Step, Name: r.Name, CreatedBy: r.CreatedBy,
		CreatedAt: fromMs(r.CreatedAt), ExpiresAt: fromMs(r.ExpiresAt), RevokedAt: fromNullMs(r.RevokedAt), State: "active"}
	switch {
	case r.RevokedAt.Valid:
		l.State = "revoked"
	case r.ExpiresAt <= now:
		l.State = "expired"
	}
	return l
}

// CreateReviewLink makes a review link for step in.Step of the workspace's
// plan planKey, by herald.ActorOf(ctx), and returns its token, shown this
// once, and records review_link.created in the audit log (never the token).
// It gives EVALIDATION for an invalid input (an unknown step, no
// approval steps, a name or expiry out of bounds), ENOTFOUND for an unknown
// or deleted plan, and ECONFLICT past herald.MaxActiveReviewLinks active
// links of the plan.
func (db *DB) CreateReviewLink(ctx context.Context, wsID int64, planKey string, in herald.ReviewLinkInput) (string, *herald.ReviewLink, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, fmt.Errorf("review link token: %w", err)
	}
	secret := reviewPrefix + base64.RawURLEncoding.EncodeToString(raw)
	var link *herald.ReviewLink
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := db.lockWorkspace(ctx, tx, wsID); err != nil {
			return err
		}
		var wr workspaceRow
		if err := get(ctx, tx, &wr, `SELECT `+workspaceCols+` FROM workspaces WHERE id = ?`, wsID); err != nil {
			return fmt.Errorf("create review link: %w", err)
		}
		if err := in.Validate(wr.workspace().Steps()); err != nil {
			return err
		}
		plan, err := getPlan(ctx, tx, wsID, planKey, "")
		if err != nil {
			return err
		}
		if plan.DeletedAt.Valid {
			return herald.Errorf(herald.ENOTFOUND, "plan %q was deleted", planKey)
		}
		now := db.nowMs()
		var active int
		if err := get(ctx, tx, &active, `SELECT COUNT(*) FROM review_links WHERE plan_id = ? AND revoked_at IS NULL AND expires_at > ?`,
			plan.ID, now); err != nil {
			return fmt.Errorf("create review link: %w", err)
		}
		if active >= herald.MaxActiveReviewLinks {
			return herald.Errorf(herald.ECONFLICT, "plan %q has %d active review links, the most it may; revoke some first", planKey, active)
		}
		r := reviewLinkRow{WorkspaceID: wsID, PlanKey: planKey, Step: in.Step, Name: in.Name, CreatedBy: herald.ActorOf(ctx).String(),
			CreatedAt: now, ExpiresAt: now + in.ExpiresIn.Milliseconds()}
		if r.ID, err = insertID(ctx, tx, `INSERT INTO review_links (workspace_id, plan_id, step, name, token_hash, created_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, wsID, plan.ID, r.Step, r.Name, hashSecret(secret), r.CreatedBy, r.CreatedAt, r.ExpiresAt); err != nil {
			return fmt.Errorf("create review link: %w", err)
		}
		link = r.link(now)
		return db.audit(ctx, tx, wsID, herald.AuditReviewLinkCreated, fmt.Sprintf("review link %d", r.ID),
			map[string]any{"plan": planKey, "step": r.Step, "name": r.Name, "expires_at": link.ExpiresAt})
	})
	if err != nil {
		return "", nil, err
	}
	return secret, link, nil
}

// maxListedLinks bounds ListReviewLinks: the latest of a plan's links.
const maxListedLinks = 200

// ListReviewLinks returns the review links of the workspace's plan planKey
// (the latest maxListedLinks, oldest first), with no tokens. An unknown plan
// gives ENOTFOUND.
func (db *DB) ListReviewLinks(ctx context.Context, wsID int64, planKey string) ([]*herald.ReviewLink, error) {
	plan, err := getPlan(ctx, db.r, wsID, planKey, "")
	if err != nil {
		return nil, err
	}
	var rows []reviewLinkRow
	if err := sel(ctx, db.r, &rows, reviewLinkSelect+` WHERE l.plan_id = ? ORDER BY l.id DESC LIMIT ?`, plan.ID, maxListedLinks); err != nil {
		return nil, fmt.Errorf("review links: %w", err)
	}
	now := db.nowMs()
	out := make([]*herald.ReviewLink, len(rows))
	for i, r := range rows {
		out[len(rows)-1-i] = r.link(now)
	}
	return out, nil
}

// RevokeReviewLink revokes review link id of the workspace's plan planKey:
// its token is then ENOTFOUND (review_link.revoked is audited). Revoking a
// revoked link changes nothing. An
// unknown link (or plan, or another plan's link) gives ENOTFOUND.
func (db *DB) RevokeReviewLink(ctx context.Context, wsID int64, planKey string, id int64) (*herald.ReviewLink, error) {
	var link *herald.ReviewLink
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var r reviewLinkRow
		err := get(ctx, tx, &r, reviewLinkSelect+` WHERE l.id = ? AND l.workspace_id = ? AND pl.key = ?`, id, wsID, planKey)
		if notFound(err) {
			return herald.Errorf(herald.ENOTFOUND, "review link %d of plan %q not found", id, planKey)
		} else if err != nil {
			return fmt.Errorf("revoke review link: %w", err)
		}
		now := db.nowMs()
		if !r.RevokedAt.Valid {
			if _, err := exec(ctx, tx, `UPDATE review_links SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, now, id); err != nil {
				return fmt.Errorf("revoke review link: %w", err)
			}
			r.RevokedAt = sql.NullInt64{Int64: now, Valid: true}
			if err := db.audit(ctx, tx, wsID, herald.AuditReviewLinkRevoked, fmt.Sprintf("review link %d", r.ID),
				map[string]any{"plan": planKey, "step": r.Step, "name": r.Name}); err != nil {
				return err
			}
		}
		link = r.link(now)
		return nil
	})
	return link, err
}

// ReviewLinkByToken returns the active review link of token secret. An
// unknown, expired or revoked token, or one whose plan was deleted, gives
// ENOTFOUND (the same for each: a stranger learns nothing).
func (db *DB) ReviewLinkByToken(ctx context.Context, secret string) (*herald.ReviewLink, error) {
	return activeLink(ctx, db.r, `l.token_hash = ?`, db.nowMs(), hashSecret(secret))
}

// activeLink reads the active link matching where (on review_links l).
func activeLink(ctx context.Context, q sqlx.ExtContext, where string, now int64, args ...any) (*herald.ReviewLink, error) {
	var r reviewLinkRow
	err := get(ctx, q, &r, reviewLinkSelect+` WHERE `+where+` AND l.revoked_at IS NULL AND l.expires_at > ? AND pl.deleted_at IS NULL`,
		append(args, now)...)
	if notFound(err) {
		return nil, herald.Errorf(herald.ENOTFOUND, "this review link does not exist, has expired or was revoked; ask for a new one")
	} else if err != nil {
		return nil, fmt.Errorf("review link: %w", err)
	}
	return r.link(now), nil
}
