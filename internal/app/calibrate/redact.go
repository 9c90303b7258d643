package calibrate

import (
	"bytes"
	"io"
	"net/url"
	"strings"

	"github.com/deskmock/deskmock/internal/redact"
)

// hideSig returns s, text that came back from a server, with the UserSig
// sig hidden as sent or percent-encoded, and any other UserSig too
// (redact.Text): an upstream that echoes the request, as a proxy's error
// page often does, must not put a credential in what calibrate writes.
// sig is hidden literally only when it is long enough to be a token (a
// garbage UserSig is no credential, and may be a common word).
func hideSig(s, sig string) string {
	if len(sig) >= redact.MinToken {
		s = strings.ReplaceAll(s, sig, redact.Placeholder)
		if esc := url.QueryEscape(sig); esc != sig {
			s = strings.ReplaceAll(s, esc, redact.Placeholder)
		}
	}
	return redact.Text(s)
}

// hideAnswer hides the UserSig sig, and any other, in what a reply gave.
func hideAnswer(a *Answer, sig string) {
	a.Info, a.Error, a.MsgKey = hideSig(a.Info, sig), hideSig(a.Error, sig), hideSig(a.MsgKey, sig)
}

// writeRedacted writes what write writes to w, every UserSig in it
// hidden: the last net under each report calibrate writes.
func writeRedacted(w io.Writer, write func(io.Writer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	_, err := w.Write(redact.Bytes(b.Bytes()))
	return err
}
