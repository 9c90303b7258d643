package deskmock

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"

	"github.com/deskmock/deskmock/mockserver"
)

// Admin is a client of deskmock's admin API.
type Admin struct {
	// URL is the admin API's base URL, ending in /__admin.
	URL string
	// Token, when set, is sent as a bearer token.
	Token string
	// Client sends the requests.
	Client *http.Client
}

// do sends a request with the JSON of in (when not nil) and decodes the
// reply into out (when not nil); a status other than want is an error.
func (a *Admin) do(ctx context.Context, method, path string, in, out any, want int) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.URL+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.Token != "" {
		req.Header.Set("Authorization", "Bearer "+a.Token)
	}
	resp, err := a.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("deskmock admin: %s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("deskmock admin: %s %s: %w", method, path, err)
		}
	}
	return nil
}

// page is a page of a list of the admin API.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// list reads every page of the list at path (with the query q).
func list[T any](ctx context.Context, a *Admin, path string, q url.Values) ([]T, error) {
	var all []T
	for {
		var p page[T]
		if err := a.do(ctx, http.MethodGet, path+"?"+q.Encode(), nil, &p, http.StatusOK); err != nil {
			return nil, err
		}
		all = append(all, p.Items...)
		if p.NextCursor == "" {
			return all, nil
		}
		q.Set("cursor", p.NextCursor)
	}
}

// Reset clears the journal, the streams, the faults and the sessions.
func (a *Admin) Reset(ctx context.Context) error {
	return a.do(ctx, http.MethodPost, "/reset", struct{}{}, nil, http.StatusOK)
}

// AddFault adds a fault rule and returns its ID.
func (a *Admin) AddFault(ctx context.Context, f mockserver.Fault) (string, error) {
	var reply struct{ ID string }
	err := a.do(ctx, http.MethodPost, "/faults", f, &reply, http.StatusCreated)
	return reply.ID, err
}

// Faults lists the fault rules, with how often each fired.
func (a *Admin) Faults(ctx context.Context) ([]mockserver.Fault, error) {
	return list[mockserver.Fault](ctx, a, "/faults", url.Values{})
}

// ClearFaults removes every fault rule.
func (a *Admin) ClearFaults(ctx context.Context) error {
	return a.do(ctx, http.MethodDelete, "/faults", nil, nil, http.StatusNoContent)
}

// Requests returns the journal: the exchanges, oldest first; a request's
// usersig is redacted.
func (a *Admin) Requests(ctx context.Context) ([]mockserver.Exchange, error) {
	pages, err := list[mockserver.Exchange](ctx, a, "/requests", url.Values{})
	if err != nil {
		return nil, err
	}
	// The pages run from the newest, each in arrival order.
	slices.SortFunc(pages, func(x, y mockserver.Exchange) int { return cmp.Compare(x.Seq, y.Seq) })
	return pages, nil
}

// Streams returns the streams, oldest first, with their chunks and text.
func (a *Admin) Streams(ctx context.Context) ([]mockserver.Stream, error) {
	return list[mockserver.Stream](ctx, a, "/streams", url.Values{"text": {"1"}})
}

// Stream returns the stream whose first call answered msgKey.
func (a *Admin) Stream(ctx context.Context, msgKey string) (mockserver.Stream, error) {
	var st mockserver.Stream
	err := a.do(ctx, http.MethodGet, "/streams/"+url.PathEscape(msgKey), nil, &st, http.StatusOK)
	return st, err
}
