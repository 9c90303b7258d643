package deskmock

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/deskmock/deskmock/mockserver"
)

// SecretKeyEnv is the environment variable read for a secret key when
// neither --secret-key nor --secret-key-file is given.
const SecretKeyEnv = "DESKMOCK_SECRET_KEY"

// defaultApp is the first app of the embedded default configuration, whose
// secret key is a well-known test key.
var defaultApp = sync.OnceValue(func() mockserver.App {
	return mockserver.DefaultConfig().Apps[0]
})

// secretKeyFlags are --secret-key and --secret-key-file.
type secretKeyFlags struct {
	key  string
	file string
}

func (k *secretKeyFlags) register(fs *flag.FlagSet, fallback string) {
	fs.StringVar(&k.key, "secret-key", "", "the app's secret `key` (beware: visible in the process list; prefer --secret-key-file or $"+SecretKeyEnv+"); default: "+fallback)
	fs.StringVar(&k.file, "secret-key-file", "", "read the secret key from `file` (surrounding white space is ignored)")
}

// resolve picks the secret key: --secret-key, else --secret-key-file, else
// $DESKMOCK_SECRET_KEY. It returns "" when none is given, and says where the
// key came from without ever quoting it.
func (k *secretKeyFlags) resolve(e *env, set map[string]bool) (key, from string, err error) {
	switch {
	case set["secret-key"]:
		if k.key == "" {
			return "", "", errors.New("--secret-key is empty")
		}
		return k.key, "--secret-key", nil
	case set["secret-key-file"]:
		b, err := os.ReadFile(k.file)
		if err != nil {
			return "", "", fmt.Errorf("--secret-key-file: %w", err)
		}
		key := strings.TrimSpace(string(b))
		if key == "" {
			return "", "", fmt.Errorf("--secret-key-file %s: the file holds no key", k.file)
		}
		return key, "--secret-key-file " + k.file, nil
	}
	if key := strings.TrimSpace(e.getenv(SecretKeyEnv)); key != "" {
		return key, "$" + SecretKeyEnv, nil
	}
	return "", "", nil
}

// secondsFlag is a lifetime in whole seconds, given as a number of seconds
// or as a Go duration ("4320h").
type secondsFlag int64

func (s *secondsFlag) String() string { return strconv.FormatInt(int64(*s), 10) }

func (s *secondsFlag) Set(v string) error {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return errors.New("must be positive")
		}
		*s = secondsFlag(n)
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return errors.New("want seconds (15552000) or a Go duration (4320h for 180 days)")
	}
	if d < time.Second || d%time.Second != 0 {
		return errors.New("must be a positive whole number of seconds")
	}
	*s = secondsFlag(d / time.Second)
	return nil
}

// rfc3339 formats unix seconds as RFC 3339 in UTC.
func rfc3339(unix int64) string { return time.Unix(unix, 0).UTC().Format(time.RFC3339) }

// human writes a duration as its two largest units, such as "180d",
// "1d2h", "3h5m" or "42s".
func human(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	d = d.Round(time.Second)
	units := []struct {
		size time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}}
	var b strings.Builder
	parts := 0
	for _, u := range units {
		if n := d / u.size; n > 0 && parts < 2 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.size
			parts++
		} else if parts > 0 {
			break
		}
	}
	if parts == 0 {
		return "0s"
	}
	return b.String()
}
