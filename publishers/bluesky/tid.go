package bluesky

import (
	"crypto/sha256"
	"encoding/binary"
	"time"
)

const tidAlphabet = "234567abcdefghijklmnopqrstuvwxyz"

// tidEpoch starts the span of timestamps derived record keys fall in
// (2023-01-01 UTC, before any Herald post); tidSpan is its width in
// microseconds (2^45 µs, about 407 days). Keys in the past sort below the
// keys clients give new posts, and 55 bits of the hash (timestamp and
// clock id) tell deliveries apart.
var tidEpoch = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()

const tidSpan = 1 << 45

// RecordKey derives a post's record key from a delivery's idempotency key:
// a valid TID (13 characters of base32-sortable, top bit 0, a microsecond
// timestamp and a 10-bit clock id), the same for the same key, so a retry
// writes the same record.
func RecordKey(idempotencyKey string) string {
	sum := sha256.Sum256([]byte("herald/bluesky/rkey\x00" + idempotencyKey))
	v := binary.BigEndian.Uint64(sum[:8])
	micros := uint64(tidEpoch) + (v>>10)%tidSpan
	return encodeTID(micros<<10 | v&0x3ff)
}

// encodeTID writes v (top bit clear) as 13 base32-sortable characters.
func encodeTID(v uint64) string {
	var b [13]byte
	for i := 12; i >= 0; i-- {
		b[i] = tidAlphabet[v&31]
		v >>= 5
	}
	return string(b[:])
}
