package usersig

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskmock/deskmock/internal/textcut"
)

// sameAsVerify fails unless the cache answers exactly what Verify answers.
func sameAsVerify(t *testing.T, c *Cache, key string, app uint64, id, token string, now time.Time) {
	t.Helper()
	_, want := Verify(key, app, id, token, now)
	if got := c.Check(key, app, id, token, now); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s at %d: cache error %v, Verify %v", textcut.Cut(token, 40), now.Unix(), got, want)
	}
}

// The cache answers every combination of token, request and time as Verify
// does, on the first call and on later ones, whatever the order of calls.
func TestCacheAgreesWithVerify(t *testing.T) {
	other := func(st Style) string {
		tok, err := Sign(vecKey, Claims{Identifier: "admin", SDKAppID: vecApp, Time: vecTime, Expire: 60, UserBuf: []byte{1, 2}}, WithStyle(st))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	tokens := []string{
		vecToken, other(StyleGo), other(StylePython), "garbage", "", "eAE",
		unsigned(t, Claims{Identifier: vecID, SDKAppID: vecApp, Time: vecTime, Expire: 10, Sig: "c2hvcnQ="}, StyleGo, 0),
		unsigned(t, Claims{Identifier: vecID, SDKAppID: vecApp, Time: vecTime, Expire: 10, Sig: strings.Repeat("A", 44)}, StyleGo, 0),
	}
	keys := []string{vecKey, "x"}
	apps := []uint64{vecApp, vecApp + 1}
	ids := []string{vecID, "admin"}
	times := []int64{vecTime - 1, vecTime, vecTime + 60, vecTime + 61, 1615552000, 1615552001}
	for _, size := range []int{1, 3, 1000} {
		c := NewCache(size)
		for round := 0; round < 2; round++ {
			for _, tok := range tokens {
				for _, key := range keys {
					for _, app := range apps {
						for _, id := range ids {
							for _, now := range times {
								sameAsVerify(t, c, key, app, id, tok, time.Unix(now, 0))
							}
						}
					}
				}
			}
		}
		if n := c.Len(); n > size {
			t.Errorf("size %d: the cache holds %d tokens", size, n)
		}
	}
}

// Expiry is checked on every call, against the time given.
func TestCacheChecksExpiryEveryCall(t *testing.T) {
	c := NewCache(0)
	last := time.Unix(1615552000, 0)
	for i := 0; i < 3; i++ {
		if err := c.Check(vecKey, vecApp, vecID, vecToken, last); err != nil {
			t.Fatalf("at the last second: %v", err)
		}
		wantErr(t, c.Check(vecKey, vecApp, vecID, vecToken, last.Add(time.Second)), ErrExpired)
		wantErr(t, c.Check("x", vecApp, vecID, vecToken, last.Add(time.Second)), ErrExpired)
		wantErr(t, c.Check("x", vecApp, vecID, vecToken, last), ErrBadSignature)
	}
}

// Tokens longer than maxCachedToken are verified every time, not kept.
func TestCacheSkipsLongTokens(t *testing.T) {
	c := NewCache(0)
	tok, err := Sign(vecKey, Claims{Identifier: vecID, SDKAppID: vecApp, Time: vecTime, Expire: 60, UserBuf: make([]byte, maxCachedToken)})
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) <= maxCachedToken {
		t.Fatalf("token of %d bytes is not long enough", len(tok))
	}
	sameAsVerify(t, c, vecKey, vecApp, vecID, tok, time.Unix(vecTime, 0))
	if c.Len() != 0 {
		t.Errorf("a %d-byte token was cached", len(tok))
	}
}

// A short token whose outcome would hold more than maxCachedEntry (large
// claims once decompressed, or an identifier its error quotes) is verified
// every time, not kept; what the cache keeps, it counts, and what it
// forgets, it stops counting.
func TestCacheBoundsWhatAnEntryHolds(t *testing.T) {
	c := NewCache(2)
	now := time.Unix(vecTime, 0)
	large := []Claims{
		{Identifier: vecID, SDKAppID: vecApp, Time: vecTime, Expire: 60, UserBuf: make([]byte, 30_000)},
		{Identifier: strings.Repeat("\x01", 2000), SDKAppID: vecApp, Time: vecTime, Expire: 60},
	}
	for _, cl := range large {
		tok, err := Sign(vecKey, cl, WithLevel(9))
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) > maxCachedToken {
			t.Fatalf("token of %d bytes is too long for the case", len(tok))
		}
		sameAsVerify(t, c, vecKey, vecApp, vecID, tok, now)
		if c.Len() != 0 || c.Bytes() != 0 {
			t.Errorf("a %d-byte token with %d bytes of claims was cached: %d tokens, %d bytes", len(tok), len(cl.UserBuf)+len(cl.Identifier), c.Len(), c.Bytes())
		}
	}
	var want int64
	for i := range 3 {
		tok, err := Sign(vecKey, Claims{Identifier: vecID, SDKAppID: vecApp, Time: vecTime, Expire: int64(60 + i)})
		if err != nil {
			t.Fatal(err)
		}
		sameAsVerify(t, c, vecKey, vecApp, vecID, tok, now)
		want = 0
		for k, e := range c.entries {
			if e.bytes != int64(entrySize(e, k)) || e.bytes < int64(len(k)+len(vecKey)+len(vecID)) {
				t.Errorf("entry of %d bytes counts %d", entrySize(e, k), e.bytes)
			}
			want += e.bytes
		}
	}
	if c.Len() != 2 || c.Bytes() != want {
		t.Errorf("%d tokens counting %d bytes, want 2 tokens, %d bytes", c.Len(), c.Bytes(), want)
	}
}

// The cache keeps copies of the strings it is given, not the strings they
// are part of.
func TestCacheKeepsCopies(t *testing.T) {
	c := NewCache(0)
	buf := []byte("usersig=" + vecToken + "&x")
	sig := string(buf[8 : 8+len(vecToken)])
	if err := c.Check(vecKey, vecApp, vecID, sig, time.Unix(vecTime, 0)); err != nil {
		t.Fatal(err)
	}
	for k, e := range c.entries {
		if k != vecToken || e.identifier != vecID || e.key != vecKey {
			t.Errorf("entry %q %+v", k, e)
		}
	}
}

// Concurrent checks of more tokens than the cache holds, some with the
// wrong key, each get Verify's answer.
func TestCacheConcurrent(t *testing.T) {
	c := NewCache(4)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				key := vecKey
				if i%5 == 0 {
					key = "x"
				}
				tok, _ := Generate(vecKey, vecApp, vecID, 86400, time.Unix(vecTime+int64((g+i)%8), 0))
				now := time.Unix(vecTime+10, 0)
				if _, want := Verify(key, vecApp, vecID, tok, now); fmt.Sprint(c.Check(key, vecApp, vecID, tok, now)) != fmt.Sprint(want) {
					t.Errorf("key %q: the cache and Verify differ", key)
					return
				}
			}
		}()
	}
	wg.Wait()
}
