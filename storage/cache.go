package storage

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// channelCache keeps decoded channels (credentials decrypted) for the claim
// path, keyed by id and checked against the row's version, which every change
// bumps — also one made by another process on the same database.
type channelCache struct {
	mu sync.Mutex
	m  map[int64]*herald.Channel // by id; Channel.ID set, version in versions
	v  map[int64]int64
}

// maxCachedChannels bounds the cache; past it, it starts over.
const maxCachedChannels = 4096

// channelsByID returns the channels whose ids are versions' keys, each a
// copy the caller may change; versions holds each one's current version
// (read in the caller's query), which decides whether the cached copy is
// still good.
func (db *DB) channelsByID(ctx context.Context, q sqlx.ExtContext, versions map[int64]int64) (map[int64]herald.Channel, error) {
	c := &db.channels
	out := make(map[int64]herald.Channel, len(versions))
	var stale []int64
	c.mu.Lock()
	for id, v := range versions {
		if ch, ok := c.m[id]; ok && c.v[id] == v {
			out[id] = cloneChannel(ch)
		} else {
			stale = append(stale, id)
		}
	}
	c.mu.Unlock()
	if len(stale) == 0 {
		return out, nil
	}
	var rows []channelRow
	query, args, err := in(q, `SELECT `+channelCols+` FROM channels WHERE id IN (?)`, stale)
	if err == nil {
		err = sqlx.SelectContext(ctx, q, &rows, query, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("channels: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > maxCachedChannels {
		c.m, c.v = map[int64]*herald.Channel{}, map[int64]int64{}
	}
	for _, r := range rows {
		ch, err := db.channel(r)
		if err != nil {
			return nil, err
		}
		c.m[r.ID], c.v[r.ID] = ch, r.Version
		out[r.ID] = cloneChannel(ch)
	}
	return out, nil
}

func cloneChannel(ch *herald.Channel) herald.Channel {
	c := *ch
	c.Slots = slices.Clone(ch.Slots)
	c.Config = maps.Clone(ch.Config)
	c.Credentials = maps.Clone(ch.Credentials)
	return c
}
