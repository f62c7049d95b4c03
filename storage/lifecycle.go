package storage

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// Every change of a delivery's status goes through moveDeliveries: it
// states its precondition in the WHERE (the statuses the deliveries must be
// in, and a lease or attempt where it matters), checks the change against
// herald's transition table, and appends a delivery_events row per delivery
// in the same transaction.

// sqlSet renders a status set as an SQL list: ('scheduled', 'retrying').
func sqlSet(set herald.StatusSet) string {
	quoted := make([]string, len(set))
	for i, s := range set {
		quoted[i] = "'" + string(s) + "'"
	}
	return "(" + strings.Join(quoted, ", ") + ")"
}

// The sets as SQL lists.
var (
	waitingIn     = sqlSet(herald.Waiting)
	liveIn        = sqlSet(herald.Live)
	unpublishedIn = sqlSet(herald.Unpublished)
	slotFreeingIn = sqlSet(herald.SlotFreeing)
)

// moveRow is a delivery as a move sees it before changing it.
type moveRow struct {
	ID       int64  `db:"id"`
	Status   string `db:"status"`
	Attempts int    `db:"attempts"`
	Removed  bool   `db:"removed"` // its row was removed from its plan
}

// move is one kind of guarded status change.
type move struct {
	from herald.StatusSet // the statuses the deliveries must be in
	// to is the status each delivery moves to.
	to func(r moveRow) herald.DeliveryStatus
	// set holds more assignments ("lease_owner = ?"), with their binds in
	// args; updated_at is always set.
	set  string
	args []any
	// guard holds more preconditions ("lease_owner = ? AND attempts = ?"),
	// binds in gargs, on columns of deliveries d.
	guard  string
	gargs  []any
	reason string // the events' reason
	// strict: every id must be in a from status (and pass guard), else
	// nothing is written and the error is ECONFLICT. Otherwise the ids that
	// do not match are left alone.
	strict bool
	// fixed, when set, is the one status the move goes to, whatever the
	// delivery: a strict move of one delivery from one status then takes
	// one UPDATE … RETURNING and the event, without reading the delivery
	// first (the hot path of a publish's result). set and guard must then
	// name deliveries' columns unqualified (guard may use d.).
	fixed herald.DeliveryStatus
}

// to returns a move's constant target.
func to(s herald.DeliveryStatus) func(moveRow) herald.DeliveryStatus {
	return func(moveRow) herald.DeliveryStatus { return s }
}

// unlessRemoved moves to s, or to cancelled when the delivery's row was
// removed from its plan meanwhile: such a delivery never waits again.
func unlessRemoved(s herald.DeliveryStatus) func(moveRow) herald.DeliveryStatus {
	return func(r moveRow) herald.DeliveryStatus {
		if r.Removed {
			return herald.StatusCancelled
		}
		return s
	}
}

// moveChunk bounds the ids of one statement.
const moveChunk = 500

// moveDeliveries applies m to the deliveries ids in tx and returns the ids
// it moved, in the order given. A transition the table does not allow is an
// error (a bug, not a conflict). A strict move gives ECONFLICT, writing
// nothing, when a delivery is not (or no longer) in a from status.
func (db *DB) moveDeliveries(ctx context.Context, tx *sqlx.Tx, ids []int64, m move) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if m.fixed != "" {
		if len(ids) == 1 && m.strict && len(m.from) == 1 {
			return db.moveOne(ctx, tx, ids[0], m)
		}
		m.to = to(m.fixed)
	}
	rows := make([]moveRow, 0, len(ids))
	for start := 0; start < len(ids); start += moveChunk {
		chunk := ids[start:min(start+moveChunk, len(ids))]
		query := `SELECT d.id, d.status, d.attempts, p.removed FROM deliveries d
			JOIN posts p ON p.id = d.post_id
			WHERE d.id IN (?) AND d.status IN ` + sqlSet(m.from)
		if m.guard != "" {
			query += " AND " + m.guard
		}
		q, args, err := in(tx, query+db.lockRows("d"), append([]any{chunk}, m.gargs...)...)
		if err != nil {
			return nil, err
		}
		var got []moveRow
		if err := sqlx.SelectContext(ctx, tx, &got, q, args...); err != nil {
			return nil, busy(err)
		}
		rows = append(rows, got...)
	}
	if m.strict && len(rows) != distinct(ids) {
		return nil, herald.Errorf(herald.ECONFLICT, "%s", db.whyNotMoved(ctx, tx, ids, rows, m))
	}
	// One UPDATE and one INSERT of events per (from, to) pair.
	type pair struct{ from, to herald.DeliveryStatus }
	groups := map[pair][]int64{}
	var order []pair
	for _, r := range rows {
		p := pair{herald.DeliveryStatus(r.Status), m.to(r)}
		if !herald.Transition(p.from, p.to) {
			return nil, fmt.Errorf("delivery %d: %s → %s is not a transition of the lifecycle", r.ID, p.from, p.to)
		}
		if groups[p] == nil {
			order = append(order, p)
		}
		groups[p] = append(groups[p], r.ID)
	}
	now, node, actor := db.nowMs(), db.node, herald.ActorOf(ctx).String()
	set := "status = ?"
	if m.set != "" {
		set += ", " + m.set
	}
	for _, p := range order {
		gids := groups[p]
		for start := 0; start < len(gids); start += moveChunk {
			chunk := gids[start:min(start+moveChunk, len(gids))]
			args := append(append([]any{string(p.to)}, m.args...), now, chunk, string(p.from))
			q, qargs, err := in(tx, `UPDATE deliveries SET `+set+`, updated_at = ? WHERE id IN (?) AND status = ?`, args...)
			if err != nil {
				return nil, err
			}
			res, err := tx.ExecContext(ctx, q, qargs...)
			if err != nil {
				return nil, fmt.Errorf("move deliveries to %s: %w", p.to, busy(err))
			}
			if n, err := res.RowsAffected(); err != nil {
				return nil, err
			} else if int(n) != len(chunk) {
				return nil, herald.Errorf(herald.ECONFLICT, "deliveries changed while being moved to %s; try again", p.to)
			}
			q, qargs, err = in(tx, `INSERT INTO delivery_events (delivery_id, workspace_id, from_status, to_status, at, node, actor, reason, attempt)
				SELECT id, workspace_id, CAST(? AS TEXT), status, CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), attempts
				FROM deliveries WHERE id IN (?)`, string(p.from), now, node, actor, m.reason, chunk)
			if err != nil {
				return nil, err
			}
			if _, err := tx.ExecContext(ctx, q, qargs...); err != nil {
				return nil, fmt.Errorf("record delivery events: %w", busy(err))
			}
		}
	}
	moved := make(map[int64]bool, len(rows))
	for _, r := range rows {
		moved[r.ID] = true
	}
	out := make([]int64, 0, len(rows))
	for _, id := range ids {
		if moved[id] {
			out = append(out, id)
			delete(moved, id)
		}
	}
	return out, nil
}

// moveOne is moveDeliveries's path for a strict move of one delivery from
// one status to a fixed one.
func (db *DB) moveOne(ctx context.Context, tx *sqlx.Tx, id int64, m move) ([]int64, error) {
	from := m.from[0]
	if !herald.Transition(from, m.fixed) {
		return nil, fmt.Errorf("delivery %d: %s → %s is not a transition of the lifecycle", id, from, m.fixed)
	}
	now := db.nowMs()
	set := "status = ?"
	if m.set != "" {
		set += ", " + m.set
	}
	query := `UPDATE deliveries AS d SET ` + set + `, updated_at = ? WHERE d.id = ? AND d.status = ?`
	if m.guard != "" {
		query += " AND " + m.guard
	}
	args := append(append(append([]any{string(m.fixed)}, m.args...), now, id, string(from)), m.gargs...)
	var row struct {
		WorkspaceID int64 `db:"workspace_id"`
		Attempts    int   `db:"attempts"`
	}
	if err := get(ctx, tx, &row, query+` RETURNING workspace_id, attempts`, args...); notFound(err) {
		return nil, herald.Errorf(herald.ECONFLICT, "%s", db.whyNotMoved(ctx, tx, []int64{id}, nil, m))
	} else if err != nil {
		return nil, fmt.Errorf("move delivery %d to %s: %w", id, m.fixed, err)
	}
	if _, err := exec(ctx, tx, `INSERT INTO delivery_events (delivery_id, workspace_id, from_status, to_status, at, node, actor, reason, attempt)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, row.WorkspaceID, string(from), string(m.fixed), now, db.node,
		herald.ActorOf(ctx).String(), m.reason, row.Attempts); err != nil {
		return nil, fmt.Errorf("record delivery events: %w", err)
	}
	return []int64{id}, nil
}

// recordCreated appends the creation event of new deliveries (now in their
// first status).
func (db *DB) recordCreated(ctx context.Context, tx *sqlx.Tx, ids []int64, reason string) error {
	now, actor := db.nowMs(), herald.ActorOf(ctx).String()
	const insert = `INSERT INTO delivery_events (delivery_id, workspace_id, from_status, to_status, at, node, actor, reason, attempt)
		SELECT id, workspace_id, '', status, CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), attempts
		FROM deliveries WHERE `
	// A plan's new deliveries have consecutive ids: one statement a run.
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	for start := 0; start < len(sorted); {
		end := start + 1
		for end < len(sorted) && sorted[end] == sorted[end-1]+1 {
			end++
		}
		if _, err := exec(ctx, tx, insert+`id BETWEEN ? AND ?`, now, db.node, actor, reason, sorted[start], sorted[end-1]); err != nil {
			return fmt.Errorf("record delivery events: %w", err)
		}
		start = end
	}
	return nil
}

// whyNotMoved says, for a strict move's conflict, which delivery was not
// where the move expected it.
func (db *DB) whyNotMoved(ctx context.Context, tx *sqlx.Tx, ids []int64, rows []moveRow, m move) string {
	found := make(map[int64]bool, len(rows))
	for _, r := range rows {
		found[r.ID] = true
	}
	for _, id := range ids {
		if found[id] {
			continue
		}
		var status string
		if err := get(ctx, tx, &status, `SELECT status FROM deliveries WHERE id = ?`, id); err != nil {
			return fmt.Sprintf("delivery %d is gone", id)
		}
		if !m.from.Has(herald.DeliveryStatus(status)) {
			return fmt.Sprintf("delivery %d is %s now, no longer %s", id, status, m.from)
		}
		return fmt.Sprintf("delivery %d changed meanwhile (its lease or attempt is not the one expected)", id)
	}
	return "deliveries changed meanwhile"
}

// lockRows is the clause that locks the rows a move reads until its
// transaction ends (none on SQLite, whose write transaction is the only
// writer).
func (db *DB) lockRows(alias string) string {
	if db.d.forUpdate == "" {
		return ""
	}
	return db.d.forUpdate + " OF " + alias
}

// distinct counts the different ids.
func distinct(ids []int64) int {
	seen := make(map[int64]struct{}, len(ids))
	for _, id := range ids {
		seen[id] = struct{}{}
	}
	return len(seen)
}

// eventRow is a delivery_events row.
type eventRow struct {
	ID         int64  `db:"id"`
	DeliveryID int64  `db:"delivery_id"`
	From       string `db:"from_status"`
	To         string `db:"to_status"`
	At         int64  `db:"at"`
	Node       string `db:"node"`
	Actor      string `db:"actor"`
	Reason     string `db:"reason"`
	Attempt    int    `db:"attempt"`
}

func (r eventRow) event() herald.DeliveryEvent {
	return herald.DeliveryEvent{ID: r.ID, DeliveryID: r.DeliveryID, From: herald.DeliveryStatus(r.From),
		To: herald.DeliveryStatus(r.To), At: fromMs(r.At), Node: r.Node, Actor: r.Actor, Reason: r.Reason, Attempt: r.Attempt}
}

// DeliveryEvents returns the status changes of a delivery of the workspace,
// oldest first; an unknown delivery, or another workspace's, gives ENOTFOUND.
func (db *DB) DeliveryEvents(ctx context.Context, wsID, deliveryID int64) ([]herald.DeliveryEvent, error) {
	var n int
	if err := get(ctx, db.r, &n, `SELECT COUNT(*) FROM deliveries WHERE id = ? AND workspace_id = ?`, deliveryID, wsID); err != nil {
		return nil, fmt.Errorf("delivery events: %w", err)
	} else if n == 0 {
		return nil, herald.Errorf(herald.ENOTFOUND, "delivery %d not found", deliveryID)
	}
	var rows []eventRow
	if err := sel(ctx, db.r, &rows, `SELECT id, delivery_id, from_status, to_status, at, node, actor, reason, attempt
		FROM delivery_events WHERE delivery_id = ? ORDER BY id`, deliveryID); err != nil {
		return nil, fmt.Errorf("delivery events: %w", err)
	}
	out := make([]herald.DeliveryEvent, len(rows))
	for i, r := range rows {
		out[i] = r.event()
	}
	return out, nil
}

// EventsAfter returns at most limit events of the workspace that follow
// cursor ("" for the first), in the order a follower reads them, and the
// cursor after the last one returned (cursor itself when there is none): a
// reader that keeps the cursor and asks again sees every event once, none
// skipped. Cursors are opaque; a malformed one gives EINVALID.
//
// Ids alone would not do on PostgreSQL, where transactions commit side by
// side: an event can take a lower id than another and commit after it. So
// the dialect says which events are settled and in what order (see
// dialect.followEvents): on SQLite every committed one, by id; on
// PostgreSQL those of transactions older than every one still running, by
// transaction id, then id.
func (db *DB) EventsAfter(ctx context.Context, wsID int64, cursor string, limit int) ([]herald.DeliveryEvent, string, error) {
	after, err := parseEventCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	if limit < 1 {
		return nil, cursor, nil
	}
	f := db.d.followEvents
	where, args := f.after(after)
	var rows []struct {
		eventRow
		Tx uint64 `db:"tx"`
	}
	if err := sel(ctx, db.r, &rows, `SELECT `+f.tx+` AS tx, id, delivery_id, from_status, to_status, at, node, actor, reason, attempt
		FROM delivery_events WHERE workspace_id = ? AND `+where+` ORDER BY `+f.order+` LIMIT ?`,
		append(append([]any{wsID}, args...), limit)...); err != nil {
		return nil, "", fmt.Errorf("delivery events: %w", err)
	}
	out := make([]herald.DeliveryEvent, len(rows))
	for i, r := range rows {
		out[i] = r.event()
	}
	if len(rows) == 0 {
		return out, cursor, nil
	}
	last := rows[len(rows)-1]
	return out, eventCursor{tx: last.Tx, id: last.ID}.String(), nil
}

// eventCursor is where a follower of delivery_events stands: after the
// event id of transaction tx (0 on SQLite, which orders by id alone).
type eventCursor struct {
	tx uint64
	id int64
}

// String is the cursor as EventsAfter gives it: "id", or "tx.id" when the
// transaction orders.
func (c eventCursor) String() string {
	if c.tx == 0 {
		return strconv.FormatInt(c.id, 10)
	}
	return strconv.FormatUint(c.tx, 10) + "." + strconv.FormatInt(c.id, 10)
}

func parseEventCursor(s string) (eventCursor, error) {
	if s == "" {
		return eventCursor{}, nil
	}
	tx, id, dotted := strings.Cut(s, ".")
	if !dotted {
		tx, id = "0", s
	}
	var c eventCursor
	var err1, err2 error
	c.tx, err1 = strconv.ParseUint(tx, 10, 64)
	c.id, err2 = strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || c.id < 0 {
		return eventCursor{}, herald.Errorf(herald.EINVALID, "cursor %q is not one this server gave: start again without a cursor", s)
	}
	return c, nil
}

// follow is how a dialect orders delivery_events for a follower: tx is the
// SQL of an event's transaction key (as an unsigned number), order the
// ORDER BY, and after the condition (and its binds) that an event is past
// the cursor and settled — no event yet to commit will sort before it.
type follow struct {
	tx    string
	order string
	after func(eventCursor) (string, []any)
}

// each is a guarded status change of many deliveries at once, each from
// the one status from to a status and values of its own: one UPDATE for all
// of them (joined to a VALUES list) and one INSERT of their events, rather
// than two statements a delivery — the path of a batch of publish results.
type each struct {
	from herald.DeliveryStatus
	// cols names the per-delivery value columns after id and status, each
	// with its SQL type ("remote_id TEXT"), none named id, workspace_id or
	// attempts (the columns RETURNING reads); set assigns from them (v.col)
	// and from the delivery (d.col), besides status and updated_at; guard
	// holds more preconditions on d and v ("d.lease_owner = v.owner").
	cols  []string
	set   string
	guard string
}

// eachRow is one delivery's part in an each move.
type eachRow struct {
	id     int64
	to     herald.DeliveryStatus
	vals   []any // one per each.cols
	actor  string
	reason string
}

// eachChunk bounds the deliveries of one moveEach statement (binds stay far
// below both databases' limits).
const eachChunk = 200

// moveEach applies m to rows in tx and returns the ids it moved; a row whose
// delivery is not in m.from (or fails m.guard) is left alone and not
// returned — its caller's conflict, no one else's. A transition the table
// does not allow is an error, and so is an id given twice.
func (db *DB) moveEach(ctx context.Context, tx *sqlx.Tx, m each, rows []eachRow) ([]int64, error) {
	seen := make(map[int64]bool, len(rows))
	for _, r := range rows {
		if !herald.Transition(m.from, r.to) {
			return nil, fmt.Errorf("delivery %d: %s → %s is not a transition of the lifecycle", r.id, m.from, r.to)
		}
		if seen[r.id] {
			return nil, fmt.Errorf("delivery %d moved twice in one statement", r.id)
		}
		seen[r.id] = true
	}
	// v's own id and status are named apart from the delivery's, so that
	// the unqualified RETURNING (all SQLite takes) is not ambiguous on
	// PostgreSQL.
	names, casts := []string{"vid", "vstatus"}, []string{"CAST(? AS BIGINT)", "CAST(? AS TEXT)"}
	for _, c := range m.cols {
		name, typ, _ := strings.Cut(c, " ")
		names, casts = append(names, name), append(casts, "CAST(? AS "+typ+")")
	}
	tuple := "(" + strings.Join(casts, ", ") + ")"
	now := db.nowMs()
	var moved []int64
	for start := 0; start < len(rows); start += eachChunk {
		chunk := rows[start:min(start+eachChunk, len(rows))]
		tuples := make([]string, len(chunk))
		args := make([]any, 0, len(chunk)*len(names)+2)
		for i, r := range chunk {
			tuples[i] = tuple
			args = append(append(args, r.id, string(r.to)), r.vals...)
		}
		args = append(args, now, string(m.from))
		query := `WITH v(` + strings.Join(names, ", ") + `) AS (VALUES ` + strings.Join(tuples, ", ") + `)
			UPDATE deliveries AS d SET status = v.vstatus, ` + m.set + `, updated_at = ?
			FROM v WHERE d.id = v.vid AND d.status = ?`
		if m.guard != "" {
			query += " AND " + m.guard
		}
		var got []struct {
			ID          int64 `db:"id"`
			WorkspaceID int64 `db:"workspace_id"`
			Attempts    int   `db:"attempts"`
		}
		if err := sel(ctx, tx, &got, query+` RETURNING id, workspace_id, attempts`, args...); err != nil {
			return nil, fmt.Errorf("move deliveries from %s: %w", m.from, err)
		}
		if len(got) == 0 {
			continue
		}
		byID := make(map[int64]eachRow, len(chunk))
		for _, r := range chunk {
			byID[r.id] = r
		}
		values := make([]string, len(got))
		eargs := make([]any, 0, len(got)*9)
		for i, g := range got {
			r := byID[g.ID]
			values[i] = "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
			eargs = append(eargs, g.ID, g.WorkspaceID, string(m.from), string(r.to), now, db.node, r.actor, r.reason, g.Attempts)
			moved = append(moved, g.ID)
		}
		if _, err := exec(ctx, tx, `INSERT INTO delivery_events (delivery_id, workspace_id, from_status, to_status, at, node, actor, reason, attempt)
			VALUES `+strings.Join(values, ", "), eargs...); err != nil {
			return nil, fmt.Errorf("record delivery events: %w", err)
		}
	}
	return moved, nil
}
