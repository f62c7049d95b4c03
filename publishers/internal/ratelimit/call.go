package ratelimit

import (
	"maps"
	"sync"
	"time"

	"github.com/heraldhq/herald"
)

// Call is one publish's use of a Set. Every adapter publishes the same way:
//
//	lim := p.limits.Begin(req.Blocks) // what other processes were told
//	… lim.DelayAll(limits...) before calling, lim.Throttle / BlockFor on the platform's waits …
//	lim.Finish(&res, limits...)       // Result.Blocks and Result.NotBefore
//
// where limits are what the channel's calls obey (its pace, and the keys
// of the app, token or account it shares). Check and Reconcile use a Call
// begun with the blocks they have (none for Check) and finish nothing. A
// Call is safe for concurrent use.
type Call struct {
	s  *Set
	mu sync.Mutex
	// set holds the blocks this call set or extended, for Result.Blocks.
	set map[string]time.Time
}

// Begin starts a call on s. It first imports blocks (PublishRequest.Blocks:
// key → until, what the database holds of every process's blocks) as if
// the platform had named them to this process: a block is never shortened
// by an earlier one, and one already over is skipped. Imported blocks are
// not reported again by Finish.
func (s *Set) Begin(blocks map[string]time.Time) *Call {
	now := s.now()
	for key, until := range blocks {
		if until.After(now) {
			s.block(key, until)
		}
	}
	return &Call{s: s}
}

// Delay reserves a call for key, paced at one call per every with bursts
// of up to burst calls, and returns how long the caller must wait first.
// 0 means go now (the slot is taken). When the result is > 0 nothing is
// reserved: the caller should not call the platform, and reports a
// throttled retry after the returned wait. A block counts too (one set
// through any Call of the Set, or imported by Begin). every <= 0 applies
// no pace (only blocks); burst < 1 is 1. The pace of a key follows the
// latest every and burst given for it.
func (c *Call) Delay(key string, every time.Duration, burst int) time.Duration {
	return c.s.delayAll(Limit{Key: key, Every: every, Burst: burst})
}

// DelayAll is Delay over several limits at once (a chat's and the bot's,
// a channel's and the app's): it returns 0 and takes a slot on every key
// when all allow a call now, else the longest wait among them, taking
// nothing.
func (c *Call) DelayAll(limits ...Limit) time.Duration {
	return c.s.delayAll(limits...)
}

// Blocked reports how long key is still blocked (0 when it is not),
// without reserving anything.
func (c *Call) Blocked(key string) time.Duration { return c.s.blocked(key) }

// BlockUntil holds every call for key until t, in every Call of the Set:
// Delay answers at least the time left until then. An earlier t than a
// block already set is ignored, so the latest signal of several cannot
// shorten a wait. A block it sets or extends into the future is reported
// by Finish.
func (c *Call) BlockUntil(key string, t time.Time) {
	if !c.s.block(key, t) || !t.After(c.s.now()) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.set == nil {
		c.set = map[string]time.Time{}
	}
	c.set[key] = t.UTC()
}

// BlockFor is BlockUntil d from now, by the Set's clock: the wait a
// platform named (Retry-After, retry_after, …) applied to key.
func (c *Call) BlockFor(key string, d time.Duration) {
	c.BlockUntil(key, c.s.now().Add(d))
}

// Throttle makes res a throttled retry after wait and, when wait > 0,
// holds key as long (BlockFor), so that the key's other deliveries wait
// without calling the platform.
func (c *Call) Throttle(key string, res *herald.Result, wait time.Duration) {
	res.Outcome, res.Throttled, res.RetryAfter = herald.OutcomeRetry, true, wait
	if wait > 0 {
		c.BlockFor(key, wait)
	}
}

// Finish reports in res what the database keeps for other processes:
// Blocks, the blocks this call set or extended (nil when none), and
// NotBefore, the instant from which limits allow the channel's next call
// in any process — every key's block over and its pace's bucket full again,
// so one call per Every on the channel, bursts not carried from one
// publish to the next (zero when nothing holds the next call back). It
// reserves nothing.
func (c *Call) Finish(res *herald.Result, limits ...Limit) {
	c.mu.Lock()
	res.Blocks = maps.Clone(c.set)
	c.mu.Unlock()
	res.NotBefore = c.s.notBefore(limits...)
}
