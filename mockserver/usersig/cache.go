package usersig

import (
	"strings"
	"sync"
	"time"
	"unsafe"
)

// DefaultCacheSize is how many tokens NewCache(0) remembers.
const DefaultCacheSize = 1024

// maxCachedToken is the longest token a Cache remembers, in bytes. Longer
// ones (Decode accepts up to 8 KiB) are verified on every call.
const maxCachedToken = 2 << 10

// maxCachedEntry bounds what a Cache holds for one token, in bytes (see
// entrySize): a short token may decompress to large claims, or to an
// identifier that an error quotes. An outcome that would hold more is
// verified on every call, so a full cache holds at most DefaultCacheSize ×
// 4 KiB.
const maxCachedEntry = 4 << 10

// Cache verifies UserSigs as Verify does, remembering for each token what
// Verify found out about it apart from the expiry: decoding, the SDKAppID
// and identifier checks and the HMAC are done once per token, and the expiry
// is checked on every call against the time given. It holds a bounded number
// of tokens, each of a bounded size, past which an arbitrary one is
// forgotten. It is safe for concurrent use.
type Cache struct {
	mu      sync.RWMutex
	size    int
	bytes   int64                  // what the entries hold (entrySize)
	entries map[string]*cacheEntry // by token
}

// cacheEntry is the outcome of one token for one request's key, SDKAppID
// and identifier.
type cacheEntry struct {
	key        string
	sdkappid   uint64
	identifier string
	outcome
	bytes int64 // its entrySize
}

// cacheEntryOverhead is what an entry holds besides its strings: the entry,
// its map slot (about 40 bytes at the map's load), the claims, two errors
// (a wrapping error and its interface) and the rounding of its allocations.
const cacheEntryOverhead = int(unsafe.Sizeof(cacheEntry{})+unsafe.Sizeof(Claims{})) + 40 + 2*48 + 64

// entrySize is what an entry for token sig holds: cacheEntryOverhead, its
// copies of the token, key and identifier, the strings and buffer of the
// decoded claims, and the text of its errors.
func entrySize(e *cacheEntry, sig string) int {
	n := cacheEntryOverhead + len(sig) + len(e.key) + len(e.identifier)
	if c := e.claims; c != nil {
		n += len(c.Version) + len(c.Identifier) + cap(c.UserBuf) + len(c.Sig)
	}
	for _, err := range [...]error{e.before, e.after} {
		if err != nil {
			n += len(err.Error())
		}
	}
	return n
}

// NewCache returns a cache of at most size tokens; size <= 0 means
// DefaultCacheSize.
func NewCache(size int) *Cache {
	if size <= 0 {
		size = DefaultCacheSize
	}
	return &Cache{size: size, entries: make(map[string]*cacheEntry)}
}

// Check returns the error Verify returns for the same arguments, nil when
// the token is valid.
func (c *Cache) Check(key string, sdkappid uint64, identifier, sig string, now time.Time) error {
	return c.lookup(key, sdkappid, identifier, sig).at(now)
}

// Bytes returns what the cache's entries hold, in bytes: for each token,
// its copies of the token, key and identifier, the decoded claims, the
// errors' text and a fixed overhead.
func (c *Cache) Bytes() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.bytes
}

// Len returns how many tokens the cache holds.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}

// lookup returns the outcome of sig for the request, verifying and
// remembering it when it is not known yet. The outcome must not be changed.
func (c *Cache) lookup(key string, sdkappid uint64, identifier, sig string) *outcome {
	c.mu.RLock()
	e := c.entries[sig]
	c.mu.RUnlock()
	if e != nil && e.sdkappid == sdkappid && e.identifier == identifier && e.key == key {
		return &e.outcome
	}
	return c.add(key, sdkappid, identifier, sig)
}

// add verifies sig for the request and remembers the outcome.
func (c *Cache) add(key string, sdkappid uint64, identifier, sig string) *outcome {
	e := &cacheEntry{sdkappid: sdkappid, outcome: verify(key, sdkappid, identifier, sig)}
	if len(sig) > maxCachedToken {
		return &e.outcome
	}
	e.key, e.identifier = key, identifier
	if e.bytes = int64(entrySize(e, sig)); e.bytes > maxCachedEntry {
		return &e.outcome
	}
	// The strings may be parts of a larger one, such as a request's URL:
	// keep copies.
	e.key, e.identifier, sig = strings.Clone(key), strings.Clone(identifier), strings.Clone(sig)
	c.mu.Lock()
	if old, known := c.entries[sig]; known {
		c.bytes -= old.bytes
	} else if len(c.entries) >= c.size {
		for k, old := range c.entries { // map order: an arbitrary token
			delete(c.entries, k)
			c.bytes -= old.bytes
			break
		}
	}
	c.entries[sig] = e
	c.bytes += e.bytes
	c.mu.Unlock()
	return &e.outcome
}
