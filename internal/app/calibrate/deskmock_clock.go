package calibrate

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// DeskmockClock returns an Options.AdvanceUpstream for an upstream that is
// itself a deskmock: instead of waiting, it moves the upstream's clock with
// POST /__admin/clock, so that a probe of the idle timeout takes no time.
// token is the upstream's admin token, "" when it has none.
func DeskmockClock(client *http.Client, base, token string) func(context.Context, time.Duration) error {
	if client == nil {
		client = http.DefaultClient
	}
	url := strings.TrimRight(base, "/") + "/__admin/clock"
	return func(ctx context.Context, d time.Duration) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(`{"advance":"`+d.String()+`"}`))
		if err != nil {
			return fmt.Errorf("calibrate: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("calibrate: %w", err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("calibrate: POST %s: HTTP %s: %s", url, resp.Status, excerpt(body))
		}
		return nil
	}
}
