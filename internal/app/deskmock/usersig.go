package deskmock

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/deskmock/deskmock/mockserver/codes"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

// DefaultExpire is the lifetime of a generated UserSig unless told
// otherwise: 180 days, as in the vendor's examples.
const DefaultExpire = 180 * 24 * time.Hour

// maxSigInput bounds what verify reads from stdin.
const maxSigInput = 64 << 10

// userSigCommands are the subcommands of usersig.
func userSigCommands() []command {
	return []command{
		{"gen", "sign a UserSig and print it alone on stdout", runUserSigGen},
		{"verify", "decode a UserSig, print its claims and check it as the server would", runUserSigVerify},
	}
}

func userSigUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s usersig <gen|verify> [flags]\n\nCommands:\n", progName)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	for _, c := range userSigCommands() {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nRun '%s help usersig <command>' for its flags.\n", progName)
}

func runUserSig(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		return usageError(e, "usersig", "missing command (gen or verify)")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if args[0] == "help" && len(args) > 1 {
			for _, c := range userSigCommands() {
				if c.name == args[1] {
					return c.run(ctx, e, []string{"--help"})
				}
			}
			return usageError(e, "usersig", "unknown command %q (want gen or verify)", args[1])
		}
		userSigUsage(e.stdout)
		return ExitOK
	}
	for _, c := range userSigCommands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	return usageError(e, "usersig", "unknown command %q (want gen or verify)", args[0])
}

// identityFlags are the flags gen and verify share.
type identityFlags struct {
	sdkappid   uint64
	identifier string
	keys       secretKeyFlags
}

func (f *identityFlags) register(fs *flag.FlagSet) {
	d := defaultApp()
	fs.Uint64Var(&f.sdkappid, "sdkappid", d.SDKAppID, "the app's `sdkappid`")
	fs.StringVar(&f.identifier, "identifier", d.Admins[0], "the `user` the UserSig is for")
	f.keys.register(fs, "the well-known test key of the embedded configuration")
}

// key resolves the secret key, falling back on the embedded test key.
func (f *identityFlags) key(e *env, set map[string]bool) (key, from string, err error) {
	key, from, err = f.keys.resolve(e, set)
	if err != nil || key != "" {
		return key, from, err
	}
	return defaultApp().SecretKey, "the embedded test key", nil
}

const genDescription = `
Sign a UserSig v2 (HMAC-SHA256, as the official libraries do) and print it
alone on stdout, so that $(deskmock usersig gen) works. The secret key is
--secret-key, else --secret-key-file, else $DESKMOCK_SECRET_KEY, else the
well-known test key of the embedded configuration.`

func runUserSigGen(ctx context.Context, e *env, args []string) int {
	const name = "usersig gen"
	fs := newFlagSet(e, name, "[flags]", genDescription)
	var id identityFlags
	id.register(fs.FlagSet)
	expire := secondsFlag(DefaultExpire / time.Second)
	fs.Var(&expire, "expire", "lifetime: `seconds` or a Go duration such as 24h")
	issued := fs.Int64("time", 0, "issue time in unix `seconds`; default: now")
	pos, code, done := fs.Parse(args)
	if done {
		return code
	}
	if len(pos) > 0 {
		return usageError(e, name, "unexpected argument %q", pos[0])
	}
	set := fs.Given()
	key, _, err := id.key(e, set)
	if err != nil {
		return usageError(e, name, "%v", err)
	}
	now := e.now()
	if set["time"] {
		if *issued <= 0 {
			return usageError(e, name, "--time %d: must be positive", *issued)
		}
		now = time.Unix(*issued, 0)
	}
	sig, err := usersig.Generate(key, id.sdkappid, id.identifier, int64(expire), now)
	if err != nil {
		return failure(e, name, "%v", err)
	}
	fmt.Fprintln(e.stdout, sig)
	return ExitOK
}

const verifyDescription = `
Decode a UserSig, print its claims, and check it the way the server does for
a request with --sdkappid and --identifier: same app, same identifier, not
expired at --now, and an HMAC that matches the secret key. SIG may be "-" to
read it from stdin; a URL-encoded SIG is decoded first.

Prints "valid" and exits 0, or prints "rejected: <reason>" with the ErrorCode
the server answers by default, and exits 1. The secret key is --secret-key,
else --secret-key-file, else $DESKMOCK_SECRET_KEY, else the well-known test key
of the embedded configuration.`

func runUserSigVerify(ctx context.Context, e *env, args []string) int {
	const name = "usersig verify"
	fs := newFlagSet(e, name, "[flags] SIG", verifyDescription)
	var id identityFlags
	id.register(fs.FlagSet)
	nowFlag := fs.Int64("now", 0, "check expiry at unix `seconds`; default: now")
	pos, code, done := fs.Parse(args)
	if done {
		return code
	}
	switch len(pos) {
	case 0:
		return usageError(e, name, "missing SIG (give the UserSig, or - to read it from stdin)")
	case 1:
	default:
		return usageError(e, name, "want one SIG, got %d arguments", len(pos))
	}
	set := fs.Given()
	key, keyFrom, err := id.key(e, set)
	if err != nil {
		return usageError(e, name, "%v", err)
	}
	now := e.now()
	if set["now"] {
		now = time.Unix(*nowFlag, 0)
	}
	sig := pos[0]
	if sig == "-" {
		b, err := io.ReadAll(io.LimitReader(e.stdin, maxSigInput))
		if err != nil {
			return failure(e, name, "reading stdin: %v", err)
		}
		sig = string(b)
	}
	sig = strings.TrimSpace(sig)
	if strings.Contains(sig, "%") {
		if u, err := url.PathUnescape(sig); err == nil {
			sig = u
		}
	}

	w := e.stdout
	claims, err := usersig.Decode(sig)
	if err != nil {
		return rejected(w, codes.CheckUserSigUndecodable, "undecodable: "+detail(err, usersig.ErrUndecodable))
	}
	printClaims(w, claims)
	_, err = usersig.Verify(key, id.sdkappid, id.identifier, sig, now)
	switch {
	case err == nil:
		fmt.Fprintln(w, "valid")
		return ExitOK
	case errors.Is(err, usersig.ErrAppMismatch):
		return rejected(w, codes.CheckUserSigApp, fmt.Sprintf(
			"app mismatch: the UserSig was issued for sdkappid %d, but is checked for sdkappid %d (--sdkappid)",
			claims.SDKAppID, id.sdkappid))
	case errors.Is(err, usersig.ErrIdentifierMismatch):
		return rejected(w, codes.CheckUserSigIdentifier, fmt.Sprintf(
			"identifier mismatch: the UserSig was issued for %q, but is checked for %q (--identifier)",
			claims.Identifier, id.identifier))
	case errors.Is(err, usersig.ErrExpired):
		at := claims.ExpiresAt()
		return rejected(w, codes.CheckUserSigExpired, fmt.Sprintf(
			"expired at %s, %s ago (now is %s)",
			at.UTC().Format(time.RFC3339), human(now.Truncate(time.Second).Sub(at)), now.UTC().Format(time.RFC3339)))
	case errors.Is(err, usersig.ErrBadSignature):
		return rejected(w, codes.CheckUserSigSignature, fmt.Sprintf(
			"bad signature: TLS.sig does not match the claims under the secret key from %s: the key is wrong, or the UserSig was altered after signing",
			keyFrom))
	case errors.Is(err, usersig.ErrUndecodable):
		return rejected(w, codes.CheckUserSigUndecodable, "undecodable: "+detail(err, usersig.ErrUndecodable))
	}
	return failure(e, name, "%v", err)
}

// printClaims lists the claims of a decoded UserSig.
func printClaims(w io.Writer, c *usersig.Claims) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "identifier\t%q\n", c.Identifier)
	fmt.Fprintf(tw, "sdkappid\t%d\n", c.SDKAppID)
	fmt.Fprintf(tw, "issued\t%s (%d)\n", rfc3339(c.Time), c.Time)
	fmt.Fprintf(tw, "expire\t%ds (%s)\n", c.Expire, human(time.Duration(c.Expire)*time.Second))
	fmt.Fprintf(tw, "expires at\t%s (%d)\n", rfc3339(c.Time+c.Expire), c.Time+c.Expire)
	if c.UserBuf != nil {
		fmt.Fprintf(tw, "userbuf\t%d bytes\n", len(c.UserBuf))
	}
	tw.Flush()
}

// rejected prints the reason a UserSig is refused and the reply the server
// gives for it, and returns ExitFailure.
func rejected(w io.Writer, check codes.Check, reason string) int {
	fmt.Fprintf(w, "rejected: %s\n", reason)
	for _, r := range codes.Defaults() {
		if r.Check == check {
			fmt.Fprintf(w, "the server answers ErrorCode %d, ErrorInfo %q (check %s)\n", r.Code, r.Info, r.Check)
			break
		}
	}
	return ExitFailure
}

// detail returns the explanation an error adds to its sentinel.
func detail(err, sentinel error) string {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, sentinel.Error()+": "); ok {
		return rest
	}
	return msg
}
