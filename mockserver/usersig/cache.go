package usersig

import (
	"strings"
	"sync"
	"time"
)

// DefaultCacheSize is how many tokens NewCache(0) remembers.
const DefaultCacheSize = 1024

// maxCachedToken is the longest token a Cache remembers, in bytes. Longer
// ones (Decode accepts up to 8 KiB) are verified on every call, so a full
// cache holds at most DefaultCacheSize × 2 KiB of tokens.
const maxCachedToken = 2 << 10

// Cache verifies UserSigs as Verify does, remembering for each token what
// Verify found out about it apart from the expiry: decoding, the SDKAppID
// and identifier checks and the HMAC are done once per token, and the expiry
// is checked on every call against the time given. It holds a bounded number
// of tokens, past which an arbitrary one is forgotten. It is safe for
// concurrent use.
type Cache struct {
	mu      sync.RWMutex
	size    int
	entries map[string]*cacheEntry // by token
}

// cacheEntry is the outcome of one token for one request's key, SDKAppID
// and identifier.
type cacheEntry struct {
	key        string
	sdkappid   uint64
	identifier string
	outcome
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
	// The strings may be parts of a larger one, such as a request's URL:
	// keep copies.
	e.key, e.identifier, sig = strings.Clone(key), strings.Clone(identifier), strings.Clone(sig)
	c.mu.Lock()
	if _, known := c.entries[sig]; !known && len(c.entries) >= c.size {
		for k := range c.entries { // map order: an arbitrary token
			delete(c.entries, k)
			break
		}
	}
	c.entries[sig] = e
	c.mu.Unlock()
	return &e.outcome
}
