package usersig_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/deskmock/deskmock/mockserver/usersig"
)

func ExampleGenerate() {
	key := "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
	issued := time.Unix(1600000000, 0)
	sig, err := usersig.Generate(key, 1400000000, "xiaojun", 180*86400, issued)
	if err != nil {
		panic(err)
	}
	fmt.Println(sig)
	// Output:
	// eAEArABT-3siVExTLnZlciI6IjIuMCIsIlRMUy5pZGVudGlmaWVyIjoieGlhb2p1biIsIlRMUy5zZGthcHBpZCI6MTQwMDAwMDAwMCwiVExTLmV4cGlyZSI6MTU1NTIwMDAsIlRMUy50aW1lIjoxNjAwMDAwMDAwLCJUTFMuc2lnIjoiMVo1UG5nRGpHYXVmZVNpUG9CdXhkSFk3RUszSlRkQWpNUDkzUzRLdlYzTT0ifQoBAAD--9vIMcU_
}

func ExampleVerify() {
	key := "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
	sig, _ := usersig.Generate(key, 1400000000, "xiaojun", 180*86400, time.Unix(1600000000, 0))

	c, err := usersig.Verify(key, 1400000000, "xiaojun", sig, time.Unix(1600000001, 0))
	fmt.Println(c.Identifier, c.ExpiresAt().UTC().Format(time.RFC3339), err)

	_, err = usersig.Verify(key, 1400000000, "xiaojun", sig, time.Unix(1615552001, 0))
	fmt.Println(errors.Is(err, usersig.ErrExpired))
	fmt.Println(err)

	_, err = usersig.Verify("other key", 1400000000, "xiaojun", sig, time.Unix(1600000001, 0))
	fmt.Println(errors.Is(err, usersig.ErrBadSignature))

	_, err = usersig.Verify(key, 1400000000, "xiaojun", "not a usersig", time.Unix(1600000001, 0))
	fmt.Println(err)
	// Output:
	// xiaojun 2021-03-12T12:26:40Z <nil>
	// true
	// usersig: expired: issued 2020-09-13T12:26:40Z for 15552000s, expired at 2021-03-12T12:26:40Z; now 2021-03-12T12:26:41Z
	// true
	// usersig: undecodable: byte 3 is ' ', outside the token alphabet A-Z a-z 0-9 * - _
}

func ExampleSign() {
	key := "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
	c := usersig.Claims{Identifier: "xiaojun", SDKAppID: 1400000000, Time: 1600000000, Expire: 86400}
	sig, _ := usersig.Sign(key, c, usersig.WithStyle(usersig.StylePython), usersig.WithLevel(6))
	got, err := usersig.Verify(key, 1400000000, "xiaojun", sig, time.Unix(1600000000, 0))
	fmt.Println(sig[:2], got.Sig, err)
	// Output:
	// eJ F7rhX8gUOlwhSaoxU1nT9fNB9LShQdL1ReCJfHY1Ffo= <nil>
}
