package storage

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

type channelRow struct {
	ID          int64  `db:"id"`
	WorkspaceID int64  `db:"workspace_id"`
	Name        string `db:"name"`
	Platform    string `db:"platform"`
	Timezone    string `db:"timezone"`
	Slots       string `db:"slots"`
	Config      string `db:"config"`
	Credentials []byte `db:"credentials"`
	Version     int64  `db:"version"`
	Status      string `db:"status"`
	Reason      string `db:"status_reason"`
	CreatedAt   int64  `db:"created_at"`
	UpdatedAt   int64  `db:"updated_at"`
}

const channelCols = `id, workspace_id, name, platform, timezone, slots, config, credentials, version, status, status_reason,
	created_at, updated_at`

// channel decodes a row, decrypting its credentials.
func (db *DB) channel(r channelRow) (*herald.Channel, error) {
	ch := &herald.Channel{ID: r.ID, WorkspaceID: r.WorkspaceID, Name: r.Name, Platform: r.Platform,
		Timezone: r.Timezone, Status: r.Status, StatusReason: r.Reason, CreatedAt: fromMs(r.CreatedAt), UpdatedAt: fromMs(r.UpdatedAt)}
	if ch.Status == "" {
		ch.Status = herald.ChannelActive
	}
	if err := json.Unmarshal([]byte(r.Slots), &ch.Slots); err != nil {
		return nil, fmt.Errorf("channel %q slots: %w", r.Name, err)
	}
	if err := json.Unmarshal([]byte(r.Config), &ch.Config); err != nil {
		return nil, fmt.Errorf("channel %q config: %w", r.Name, err)
	}
	creds, err := db.open(r.Credentials)
	if err != nil {
		return nil, fmt.Errorf("channel %q: %w", r.Name, err)
	}
	ch.Credentials = creds
	return ch, nil
}

func encodeJSON(v any, empty string) (string, error) {
	if v == nil {
		return empty, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	if string(b) == "null" {
		return empty, nil
	}
	return string(b), nil
}

func channelJSON(ch *herald.Channel) (slots, config string, err error) {
	if slots, err = encodeJSON(ch.Slots, "[]"); err != nil {
		return "", "", fmt.Errorf("encode slots: %w", err)
	}
	if config, err = encodeJSON(ch.Config, "{}"); err != nil {
		return "", "", fmt.Errorf("encode config: %w", err)
	}
	return slots, config, nil
}

// CreateChannel stores a validated channel, its credentials sealed with
// AES-256-GCM, and sets ID, CreatedAt and UpdatedAt. A name already used by a
// live channel of the workspace gives ECONFLICT; an unknown workspace ENOTFOUND.
// A new channel is active. The creation is recorded in the audit log
// (channel.created, with the platform and the credentials' names).
func (db *DB) CreateChannel(ctx context.Context, ch *herald.Channel) error {
	slots, config, err := channelJSON(ch)
	if err != nil {
		return err
	}
	sealed, err := db.seal(ch.Credentials)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := get(ctx, tx, &n, `SELECT COUNT(*) FROM workspaces WHERE id = ?`, ch.WorkspaceID); err != nil {
			return fmt.Errorf("create channel: %w", err)
		} else if n == 0 {
			return herald.Errorf(herald.ENOTFOUND, "workspace not found")
		}
		now := db.nowMs()
		id, err := insertID(ctx, tx, `INSERT INTO channels (workspace_id, name, platform, timezone, slots, config, credentials, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, ch.WorkspaceID, ch.Name, ch.Platform, ch.Timezone, slots, config, sealed, now, now)
		if isUnique(err) {
			return herald.Errorf(herald.ECONFLICT, "channel %q already exists", ch.Name)
		} else if err != nil {
			return fmt.Errorf("create channel: %w", err)
		}
		ch.ID, ch.CreatedAt, ch.UpdatedAt = id, fromMs(now), fromMs(now)
		ch.Status, ch.StatusReason = herald.ChannelActive, ""
		return db.audit(ctx, tx, ch.WorkspaceID, herald.AuditChannelCreated, "channel "+ch.Name,
			map[string]any{"platform": ch.Platform, "credentials": credentialKeys(ch.Credentials)})
	})
}

// Channel returns the live channel of the workspace with this name, with its
// credentials decrypted, or ENOTFOUND.
func (db *DB) Channel(ctx context.Context, wsID int64, name string) (*herald.Channel, error) {
	var r channelRow
	err := get(ctx, db.r, &r, `SELECT `+channelCols+` FROM channels WHERE workspace_id = ? AND name = ? AND deleted_at IS NULL`, wsID, name)
	if notFound(err) {
		return nil, herald.Errorf(herald.ENOTFOUND, "channel %q not found", name)
	} else if err != nil {
		return nil, fmt.Errorf("channel: %w", err)
	}
	return db.channel(r)
}

// ListChannels returns the workspace's live channels ordered by name, with
// credentials decrypted. Errors are wrapped.
func (db *DB) ListChannels(ctx context.Context, wsID int64) ([]*herald.Channel, error) {
	var rows []channelRow
	if err := sel(ctx, db.r, &rows, `SELECT `+channelCols+` FROM channels WHERE workspace_id = ? AND deleted_at IS NULL ORDER BY name`, wsID); err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	out := make([]*herald.Channel, 0, len(rows))
	for _, r := range rows {
		ch, err := db.channel(r)
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

// UpdateChannel stores name, timezone, slots, config and (when not nil)
// credentials of the channel ch.ID in workspace ch.WorkspaceID, and sets
// UpdatedAt. New credentials make a needs_reauth channel active again, so
// its held deliveries are claimed again (those past their lateness window
// become missed as usual). It gives ENOTFOUND for an unknown or deleted channel, EVALIDATION
// when ch.Platform is set and differs from the stored one (the platform cannot change),
// and ECONFLICT when the new name is taken. The audit log records
// channel.changed with the names of the fields that changed (none, no
// entry) and, when credentials are given, channel.credentials_changed with
// their names (never their values).
func (db *DB) UpdateChannel(ctx context.Context, ch *herald.Channel) error {
	slots, config, err := channelJSON(ch)
	if err != nil {
		return err
	}
	var sealed []byte
	if ch.Credentials != nil {
		if sealed, err = db.seal(ch.Credentials); err != nil {
			return err
		}
	}
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		var r channelRow
		err := get(ctx, tx, &r, `SELECT `+channelCols+` FROM channels WHERE id = ? AND workspace_id = ? AND deleted_at IS NULL`+db.d.forUpdate,
			ch.ID, ch.WorkspaceID)
		if notFound(err) {
			return herald.Errorf(herald.ENOTFOUND, "channel %q not found", ch.Name)
		} else if err != nil {
			return fmt.Errorf("update channel: %w", err)
		}
		if ch.Platform != "" && ch.Platform != r.Platform {
			return &herald.Error{Code: herald.EVALIDATION, Message: "invalid channel", Details: []herald.Problem{{
				Column: "platform", Code: "immutable",
				Message: fmt.Sprintf("the platform of a channel cannot change (it is %q); create another channel", r.Platform)}}}
		}
		if ch.Credentials == nil {
			sealed = r.Credentials
		}
		status, reason := r.Status, r.Reason
		if ch.Credentials != nil {
			status, reason = herald.ChannelActive, ""
		}
		now := db.nowMs()
		_, err = exec(ctx, tx, `UPDATE channels SET name = ?, timezone = ?, slots = ?, config = ?, credentials = ?, status = ?,
			status_reason = ?, version = version + 1, updated_at = ? WHERE id = ?`,
			ch.Name, ch.Timezone, slots, config, sealed, status, reason, now, ch.ID)
		if isUnique(err) {
			return herald.Errorf(herald.ECONFLICT, "channel %q already exists", ch.Name)
		} else if err != nil {
			return fmt.Errorf("update channel: %w", err)
		}
		ch.Platform, ch.CreatedAt, ch.UpdatedAt = r.Platform, fromMs(r.CreatedAt), fromMs(now)
		ch.Status, ch.StatusReason = status, reason
		if fields := changedFields(r, ch, slots, config); len(fields) > 0 {
			if err := db.audit(ctx, tx, ch.WorkspaceID, herald.AuditChannelChanged, "channel "+ch.Name, map[string]any{"fields": fields}); err != nil {
				return err
			}
		}
		if ch.Credentials != nil {
			return db.audit(ctx, tx, ch.WorkspaceID, herald.AuditChannelCredentialsChanged, "channel "+ch.Name,
				map[string]any{"keys": credentialKeys(ch.Credentials)})
		}
		return nil
	})
}

// DeleteChannel deletes the live channel with this name: its unpublished
// deliveries are cancelled and the row is kept (soft delete) so that
// published history stays readable; the name can be used again. It gives
// ENOTFOUND for an unknown channel and ECONFLICT while one of its deliveries
// is publishing. The deletion is recorded in the audit log (channel.deleted,
// with how many deliveries it cancelled).
func (db *DB) DeleteChannel(ctx context.Context, wsID int64, name string) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := db.lockWorkspace(ctx, tx, wsID); herald.ErrorCode(err) == herald.ENOTFOUND {
			return herald.Errorf(herald.ENOTFOUND, "channel %q not found", name)
		} else if err != nil {
			return fmt.Errorf("delete channel: %w", err)
		}
		var id int64
		err := get(ctx, tx, &id, `SELECT id FROM channels WHERE workspace_id = ? AND name = ? AND deleted_at IS NULL`, wsID, name)
		if notFound(err) {
			return herald.Errorf(herald.ENOTFOUND, "channel %q not found", name)
		} else if err != nil {
			return fmt.Errorf("delete channel: %w", err)
		}
		// The deliveries, not the channel's row: a Complete holding one of
		// them may still have to write the channel (config, needs_reauth).
		if err := db.lockClaimable(ctx, tx, `channel_id = ?`, id); err != nil {
			return fmt.Errorf("delete channel: %w", err)
		}
		var busy int
		if err := get(ctx, tx, &busy, `SELECT COUNT(*) FROM deliveries WHERE channel_id = ? AND status = 'publishing'`, id); err != nil {
			return fmt.Errorf("delete channel: %w", err)
		}
		if busy > 0 {
			return herald.Errorf(herald.ECONFLICT, "channel %q is publishing a post right now; try again when it finishes", name)
		}
		now := db.nowMs()
		var ids []int64
		if err := sel(ctx, tx, &ids, `SELECT id FROM deliveries WHERE channel_id = ? AND status IN `+unpublishedIn, id); err != nil {
			return fmt.Errorf("delete channel: %w", err)
		}
		moved, err := db.moveDeliveries(ctx, tx, ids, move{from: herald.Unpublished, to: to(herald.StatusCancelled),
			set: `lease_owner = '', lease_until = NULL`, reason: "channel deleted"})
		if err != nil {
			return fmt.Errorf("delete channel: %w", err)
		}
		if _, err := exec(ctx, tx, `UPDATE channels SET deleted_at = ?, version = version + 1, updated_at = ? WHERE id = ?`, now, now, id); err != nil {
			return fmt.Errorf("delete channel: %w", err)
		}
		return db.audit(ctx, tx, wsID, herald.AuditChannelDeleted, "channel "+name, map[string]any{"cancelled": len(moved)})
	})
}

// UpdateChannelConfig merges update into the channel's config (JSON merge
// patch: a nil value removes the key). When that changes the config, the
// audit log records channel.changed with the keys changed and "refreshed":
// true, by the actor in ctx. An unknown channel gives ENOTFOUND.
func (db *DB) UpdateChannelConfig(ctx context.Context, channelID int64, update map[string]any) error {
	if len(update) == 0 {
		return nil
	}
	return db.inTx(ctx, func(tx *sqlx.Tx) error { return db.mergeConfig(ctx, tx, channelID, update) })
}

// mergeConfig is UpdateChannelConfig in tx. A publisher's update (a
// Telegram chat that moved to a new id) changes where later posts go as
// surely as a PATCH does, so it is audited the same way, in tx: an entry
// exists exactly when the change committed.
func (db *DB) mergeConfig(ctx context.Context, tx *sqlx.Tx, channelID int64, update map[string]any) error {
	var r channelRow
	if err := get(ctx, tx, &r, `SELECT workspace_id, name, config FROM channels WHERE id = ?`+db.d.forUpdate, channelID); notFound(err) {
		return herald.Errorf(herald.ENOTFOUND, "channel %d not found", channelID)
	} else if err != nil {
		return fmt.Errorf("update channel config: %w", err)
	}
	config := map[string]any{}
	if err := json.Unmarshal([]byte(r.Config), &config); err != nil || config == nil {
		config = map[string]any{}
	}
	changed := configChanges(config, update)
	for k, v := range update {
		if v == nil {
			delete(config, k)
		} else {
			config[k] = v
		}
	}
	b, err := json.Marshal(config)
	if err != nil {
		return fmt.Errorf("update channel config: %w", err)
	}
	if _, err := exec(ctx, tx, `UPDATE channels SET config = ?, version = version + 1, updated_at = ? WHERE id = ?`, string(b), db.nowMs(), channelID); err != nil {
		return fmt.Errorf("update channel config: %w", err)
	}
	if len(changed) == 0 {
		return nil
	}
	return db.audit(ctx, tx, r.WorkspaceID, herald.AuditChannelChanged, "channel "+r.Name,
		map[string]any{"fields": []string{"config"}, "keys": changed, "refreshed": true})
}

// UpdateChannelCredentials merges creds into the stored credentials of the
// live channel channelID (keys given replace the stored ones, others are
// kept), seals them again and bumps the channel's version. It is how
// publishers store refreshed tokens at once; the channel's status is left
// alone. The audit log records channel.credentials_changed with the keys'
// names and "refreshed": true (by the actor in ctx: the scheduler). It gives
// ENOTFOUND for an unknown or deleted channel and wraps
// database and decryption errors.
func (db *DB) UpdateChannelCredentials(ctx context.Context, channelID int64, creds map[string]string) error {
	if len(creds) == 0 {
		return nil
	}
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		var r channelRow
		err := get(ctx, tx, &r, `SELECT workspace_id, name, credentials FROM channels WHERE id = ? AND deleted_at IS NULL`+db.d.forUpdate, channelID)
		sealed := r.Credentials
		if notFound(err) {
			return herald.Errorf(herald.ENOTFOUND, "channel %d not found", channelID)
		} else if err != nil {
			return fmt.Errorf("update channel credentials: %w", err)
		}
		stored, err := db.open(sealed)
		if err != nil {
			return fmt.Errorf("update channel credentials: %w", err)
		}
		if stored == nil {
			stored = map[string]string{}
		}
		for k, v := range creds {
			stored[k] = v
		}
		if sealed, err = db.seal(stored); err != nil {
			return fmt.Errorf("update channel credentials: %w", err)
		}
		if _, err := exec(ctx, tx, `UPDATE channels SET credentials = ?, version = version + 1, updated_at = ? WHERE id = ?`,
			sealed, db.nowMs(), channelID); err != nil {
			return fmt.Errorf("update channel credentials: %w", err)
		}
		return db.audit(ctx, tx, r.WorkspaceID, herald.AuditChannelCredentialsChanged, "channel "+r.Name,
			map[string]any{"keys": credentialKeys(creds), "refreshed": true})
	})
}

// textPlatform is herald.Channel.TextPlatform of a channel row's platform
// and stored config (JSON).
func textPlatform(platform, config string) string {
	ch := herald.Channel{Platform: platform}
	if platform == herald.StandIn {
		_ = json.Unmarshal([]byte(config), &ch.Config) // written by CreateChannel from a map: valid JSON
	}
	return ch.TextPlatform()
}
