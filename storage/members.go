package storage

import (
	"context"
	"fmt"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// workspaceColsW are workspaceCols of the alias w, for queries that join
// another table having columns of the same names.
var workspaceColsW = func() string {
	cols := strings.Split(workspaceCols, ",")
	for i, c := range cols {
		cols[i] = "w." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}()

// memberRole is the role user userID holds in workspace wsID ("" when not
// a member, or for userID 0). Errors are wrapped.
func (db *DB) memberRole(ctx context.Context, wsID, userID int64) (herald.Role, error) {
	if userID == 0 {
		return "", nil
	}
	var role string
	err := get(ctx, db.r, &role, `SELECT role FROM members WHERE workspace_id = ? AND user_id = ?`, wsID, userID)
	if notFound(err) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("member role: %w", err)
	}
	return herald.Role(role), nil
}

// WorkspaceAccess returns, in one read, the workspace with this slug and
// the role user userID holds there ("" when not a member, or for userID 0):
// what the API's permission check needs. An unknown slug gives
// herald.WorkspaceNotFound.
func (db *DB) WorkspaceAccess(ctx context.Context, slug string, userID int64) (*herald.Workspace, herald.Role, error) {
	var r struct {
		workspaceRow
		MemberRole string `db:"member_role"`
	}
	err := get(ctx, db.r, &r, `SELECT `+workspaceColsW+`, COALESCE(m.role, '') AS member_role FROM workspaces w
		LEFT JOIN members m ON m.workspace_id = w.id AND m.user_id = ? WHERE w.slug = ?`, userID, slug)
	if notFound(err) {
		return nil, "", herald.WorkspaceNotFound(slug)
	} else if err != nil {
		return nil, "", fmt.Errorf("workspace: %w", err)
	}
	return r.workspace(), herald.Role(r.MemberRole), nil
}

// ListWorkspacesFor returns up to limit workspaces (100 when limit <= 0) by
// may see, whose slug sorts after after, by slug: the one a narrowed token
// is narrowed to (if its person may see it), every one for an admin, else
// those its person is a member of. Errors are wrapped.
func (db *DB) ListWorkspacesFor(ctx context.Context, by herald.Caller, after string, limit int) ([]*herald.Workspace, error) {
	if limit <= 0 {
		limit = 100
	}
	if by.Admin && by.WorkspaceID == 0 {
		return db.ListWorkspaces(ctx, after, limit)
	}
	q := `SELECT ` + workspaceColsW + ` FROM workspaces w`
	var args []any
	if !by.Admin {
		q += ` JOIN members m ON m.workspace_id = w.id AND m.user_id = ?`
		args = append(args, by.UserID)
	}
	q += ` WHERE w.slug > ?`
	args = append(args, after)
	if by.WorkspaceID != 0 {
		q += ` AND w.id = ?`
		args = append(args, by.WorkspaceID)
	}
	var rows []workspaceRow
	if err := sel(ctx, db.r, &rows, q+` ORDER BY w.slug LIMIT ?`, append(args, limit)...); err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	out := make([]*herald.Workspace, len(rows))
	for i, r := range rows {
		out[i] = r.workspace()
	}
	return out, nil
}

type memberRow struct {
	UserID    int64  `db:"user_id"`
	Email     string `db:"email"`
	Name      string `db:"name"`
	Role      string `db:"role"`
	CreatedAt int64  `db:"created_at"`
	UpdatedAt int64  `db:"updated_at"`
}

func (r memberRow) member() *herald.Member {
	return &herald.Member{UserID: r.UserID, Email: r.Email, Name: r.Name, Role: herald.Role(r.Role),
		CreatedAt: fromMs(r.CreatedAt), UpdatedAt: fromMs(r.UpdatedAt)}
}

const memberCols = `m.user_id, u.email, u.name, m.role, m.created_at, m.updated_at`

// ListMembers returns up to limit (100 when limit <= 0) members of the
// workspace whose email (in herald.EmailKey form) sorts after after,
// ordered so. Errors are wrapped.
func (db *DB) ListMembers(ctx context.Context, wsID int64, after string, limit int) ([]*herald.Member, error) {
	if limit <= 0 {
		limit = 100
	}
	var rows []memberRow
	if err := sel(ctx, db.r, &rows, `SELECT `+memberCols+` FROM members m JOIN users u ON u.id = m.user_id
		WHERE m.workspace_id = ? AND u.email_key > ? ORDER BY u.email_key LIMIT ?`, wsID, after, limit); err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	out := make([]*herald.Member, len(rows))
	for i, r := range rows {
		out[i] = r.member()
	}
	return out, nil
}

// PutMember gives the user with this email role in workspace wsID, adding
// them (created true) or changing their role, as a member holding by may
// (herald.CheckMemberChange: EFORBIDDEN otherwise), and records
// member.added or member.changed in the audit log. It gives ENOTFOUND for
// an unknown workspace or email (saying how to create the user), and
// ECONFLICT when it would demote the workspace's last owner or the user
// was removed.
func (db *DB) PutMember(ctx context.Context, wsID int64, email string, role, by herald.Role) (m *herald.Member, created bool, err error) {
	if _, err := herald.ParseRole(string(role)); err != nil {
		return nil, false, err
	}
	err = db.inTx(ctx, func(tx *sqlx.Tx) error {
		slug, u, from, err := db.memberForChange(ctx, tx, wsID, email)
		if err != nil {
			return err
		}
		if err := herald.CheckMemberChange(by, from, role); err != nil {
			return err
		}
		if u.DisabledAt.Valid {
			return herald.Errorf(herald.ECONFLICT, "%s was removed from Herald (DELETE /api/v1/users/{email}) and cannot be a member again", u.Email)
		}
		if from == herald.RoleOwner && role != herald.RoleOwner {
			if err := db.keepAnOwner(ctx, tx, wsID, slug, u.Email); err != nil {
				return err
			}
		}
		now := db.nowMs()
		switch {
		case from == "":
			if _, err := exec(ctx, tx, `INSERT INTO members (workspace_id, user_id, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
				wsID, u.ID, string(role), now, now); err != nil {
				return err
			}
			created = true
			if err := db.auditMember(ctx, tx, wsID, herald.AuditMemberAdded, u.Email, "", role); err != nil {
				return err
			}
		case from != role:
			if _, err := exec(ctx, tx, `UPDATE members SET role = ?, updated_at = ? WHERE workspace_id = ? AND user_id = ?`,
				string(role), now, wsID, u.ID); err != nil {
				return err
			}
			if err := db.auditMember(ctx, tx, wsID, herald.AuditMemberChanged, u.Email, from, role); err != nil {
				return err
			}
		}
		var r memberRow
		if err := get(ctx, tx, &r, `SELECT `+memberCols+` FROM members m JOIN users u ON u.id = m.user_id
			WHERE m.workspace_id = ? AND m.user_id = ?`, wsID, u.ID); err != nil {
			return err
		}
		m = r.member()
		return nil
	})
	if err != nil {
		return nil, false, memberErr("put member", err)
	}
	return m, created, nil
}

// DeleteMember removes the user with this email from workspace wsID, as a
// member holding by may (EFORBIDDEN otherwise), and records member.removed
// in the audit log. It gives ENOTFOUND for an
// unknown workspace or user, or one who is not a member, and ECONFLICT for
// the last owner.
func (db *DB) DeleteMember(ctx context.Context, wsID int64, email string, by herald.Role) error {
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		slug, u, from, err := db.memberForChange(ctx, tx, wsID, email)
		if err != nil {
			return err
		}
		if from == "" {
			return herald.Errorf(herald.ENOTFOUND, "%s is not a member of workspace %q", u.Email, slug)
		}
		if err := herald.CheckMemberChange(by, from, ""); err != nil {
			return err
		}
		if from == herald.RoleOwner {
			if err := db.keepAnOwner(ctx, tx, wsID, slug, u.Email); err != nil {
				return err
			}
		}
		if _, err := exec(ctx, tx, `DELETE FROM members WHERE workspace_id = ? AND user_id = ?`, wsID, u.ID); err != nil {
			return err
		}
		return db.auditMember(ctx, tx, wsID, herald.AuditMemberRemoved, u.Email, from, "")
	})
	return memberErr("delete member", err)
}

// memberForChange locks the user with this email, then the workspace
// (changes of its members take turns, so two owners demoting each other at
// once cannot leave none), and reads the role the user holds there (""
// for none). The user first, as RemoveUser locks them (then each of their
// workspaces): a user being removed is not made a member meanwhile, and
// the two never wait on each other in a circle.
func (db *DB) memberForChange(ctx context.Context, tx *sqlx.Tx, wsID int64, email string) (string, userRow, herald.Role, error) {
	u, err := db.lockUser(ctx, tx, email)
	if err != nil {
		return "", u, "", err
	}
	slug, err := db.lockWorkspace(ctx, tx, wsID)
	if err != nil {
		return "", u, "", err
	}
	var role string
	err = get(ctx, tx, &role, `SELECT role FROM members WHERE workspace_id = ? AND user_id = ?`, wsID, u.ID)
	if err != nil && !notFound(err) {
		return "", u, "", err
	}
	return slug, u, herald.Role(role), nil
}

// keepAnOwner gives ECONFLICT when the workspace has one owner (about to
// be demoted or removed).
func (db *DB) keepAnOwner(ctx context.Context, tx *sqlx.Tx, wsID int64, slug, email string) error {
	var owners int
	if err := get(ctx, tx, &owners, `SELECT COUNT(*) FROM members WHERE workspace_id = ? AND role = ?`, wsID, string(herald.RoleOwner)); err != nil {
		return err
	}
	if owners <= 1 {
		return herald.Errorf(herald.ECONFLICT, "%s is the last owner of workspace %q; make someone else owner first", email, slug)
	}
	return nil
}

// auditMember records a member's change in the audit log: "member
// <email>", the role they had (from) and have (role), where there is one.
func (db *DB) auditMember(ctx context.Context, tx *sqlx.Tx, wsID int64, action, email string, from, role herald.Role) error {
	details := map[string]any{}
	if from != "" {
		details["from"] = string(from)
	}
	if role != "" {
		details["role"] = string(role)
	}
	return db.audit(ctx, tx, wsID, action, "member "+email, details)
}

// memberErr passes *herald.Error values on and wraps the others.
func memberErr(op string, err error) error {
	if err == nil || herald.ErrorCode(err) != herald.EINTERNAL {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}
