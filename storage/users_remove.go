package storage

import (
	"context"
	"fmt"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// lockUser reads the user with this email (compared case-insensitively)
// and, on PostgreSQL, locks their row until tx ends. An unknown email gives
// ENOTFOUND saying how to create the user.
func (db *DB) lockUser(ctx context.Context, tx *sqlx.Tx, email string) (userRow, error) {
	var r userRow
	err := get(ctx, tx, &r, `SELECT `+userCols+` FROM users WHERE email_key = ?`+db.d.forUpdate, herald.EmailKey(email))
	if notFound(err) {
		return r, noUser(email)
	}
	return r, err
}

// RemoveUser removes the user with this email, someone who left, in one
// transaction: their sign-in sessions end and their API tokens are revoked
// (both answer 401 from then on), their memberships go (member.removed in
// each workspace's audit log), and sign-in is refused as for a wrong
// password. The row stays, marked disabled, so that the audit log, tokens
// and approvals still name them. It records user.removed (instance-level,
// with the counts) and returns what it undid.
//
// It gives ENOTFOUND for an unknown email or a user removed already;
// ECONFLICT, changing nothing, when the user is the last owner of a
// workspace (naming each; make someone else owner there first) or is the
// one acting (herald.ActorOf(ctx): nobody removes themselves). Other errors
// are wrapped.
func (db *DB) RemoveUser(ctx context.Context, email string) (*herald.UserRemoval, error) {
	var out herald.UserRemoval
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		u, err := db.lockUser(ctx, tx, email)
		if err != nil {
			return err
		}
		switch {
		case u.DisabledAt.Valid:
			return herald.Errorf(herald.ENOTFOUND, "%s was removed already, at %s", u.Email, fromMs(u.DisabledAt.Int64).UTC().Format("2006-01-02 15:04 MST"))
		case herald.ActorOf(ctx).UserID == u.ID:
			return herald.Errorf(herald.ECONFLICT, "you cannot remove yourself; another instance admin can, or herald user remove on the server")
		}
		var ms []struct {
			WorkspaceID int64  `db:"workspace_id"`
			Role        string `db:"role"`
		}
		if err := sel(ctx, tx, &ms, `SELECT workspace_id, role FROM members WHERE user_id = ? ORDER BY workspace_id`, u.ID); err != nil {
			return err
		}
		// Each workspace locked, in id order, as a member change locks it:
		// its owners are counted while nobody else changes them.
		slugs := make([]string, len(ms))
		var last []string
		for i, m := range ms {
			if slugs[i], err = db.lockWorkspace(ctx, tx, m.WorkspaceID); err != nil {
				return err
			}
			if m.Role != string(herald.RoleOwner) {
				continue
			}
			var owners int
			if err := get(ctx, tx, &owners, `SELECT COUNT(*) FROM members WHERE workspace_id = ? AND role = ?`, m.WorkspaceID, string(herald.RoleOwner)); err != nil {
				return err
			}
			if owners <= 1 {
				last = append(last, fmt.Sprintf("%q", slugs[i]))
			}
		}
		if len(last) > 0 {
			return herald.Errorf(herald.ECONFLICT, "%s is the last owner of workspace %s; make someone else owner there first (PUT /api/v1/workspaces/{ws}/members/{email} with {\"role\":\"owner\"}), then remove them",
				u.Email, strings.Join(last, ", "))
		}

		now := db.nowMs()
		n, err := exec(ctx, tx, `DELETE FROM members WHERE user_id = ?`, u.ID)
		if err != nil {
			return err
		}
		out.Memberships = int(n)
		if n, err = exec(ctx, tx, `UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, now, u.ID); err != nil {
			return err
		}
		out.Tokens = int(n)
		if n, err = exec(ctx, tx, `DELETE FROM sessions WHERE user_id = ?`, u.ID); err != nil {
			return err
		}
		out.Sessions = int(n)
		if _, err := exec(ctx, tx, `UPDATE users SET disabled_at = ?, updated_at = ? WHERE id = ?`, now, now, u.ID); err != nil {
			return err
		}
		for _, m := range ms {
			if err := db.audit(ctx, tx, m.WorkspaceID, herald.AuditMemberRemoved, "member "+u.Email,
				map[string]any{"from": m.Role, "user_removed": true}); err != nil {
				return err
			}
		}
		u.DisabledAt.Int64, u.DisabledAt.Valid, u.UpdatedAt = now, true, now
		out.User = u.user()
		return db.audit(ctx, tx, 0, herald.AuditUserRemoved, "user "+u.Email, map[string]any{"name": u.Name,
			"memberships": out.Memberships, "tokens": out.Tokens, "sessions": out.Sessions})
	})
	if err != nil {
		return nil, memberErr("remove user", err)
	}
	return &out, nil
}
