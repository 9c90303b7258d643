package deskmock_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver"
	deskmock "github.com/deskmock/deskmock/mockserver/testcontainers"
	"github.com/deskmock/deskmock/mockserver/usersig"
	"github.com/testcontainers/testcontainers-go"
)

// image is the deskmock image under test: $DESKMOCK_IMAGE.
func image(t *testing.T) string {
	t.Helper()
	img := os.Getenv("DESKMOCK_IMAGE")
	if img == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("DESKMOCK_IMAGE names no image (CI=true)")
		}
		t.Skip("DESKMOCK_IMAGE names no image: set it to run the module against a container engine")
	}
	return img
}

// send posts one v1 chunk as the default app's administrator and returns
// the reply's ErrorCode and MsgKey.
func send(t *testing.T, c *deskmock.Container, body string) (int, string) {
	t.Helper()
	app := mockserver.DefaultConfig().Apps[0]
	sig, err := usersig.Generate(app.SecretKey, app.SDKAppID, app.Admins[0], 3600, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	url := c.BaseURL() + mockserver.EndpointPath + "?" + mockserver.Query(app.SDKAppID, app.Admins[0], sig, 1)
	resp, err := c.HTTPClient().Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var reply struct {
		ErrorCode int
		MsgKey    string
	}
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		t.Fatal(err)
	}
	return reply.ErrorCode, reply.MsgKey
}

// TestStreamThreeChunks streams three chunks to the container, then reads
// the journal and the stream through the admin API: the way a client's
// own tests use the module. It runs over plain HTTP with an admin token and
// over TLS.
func TestStreamThreeChunks(t *testing.T) {
	img := image(t)
	for _, tt := range []struct {
		name string
		opts []deskmock.Option
	}{
		{"http with an admin token", []deskmock.Option{deskmock.WithAdminToken("s3cret")}},
		{"tls", []deskmock.Option{deskmock.WithTLS()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			c, err := deskmock.Run(ctx, img, tt.opts...)
			testcontainers.CleanupContainer(t, c.Container)
			if err != nil {
				t.Fatal(err)
			}
			session := "9b2f4c1e-0000-4000-8000-00000000c0de"
			chunks := []string{"Hello, ", "this is ", "deskmock."}
			code, key := send(t, c, mockserver.ChunkBody(session, "", chunks[0], false))
			if code != 0 || key == "" {
				t.Fatalf("first chunk: ErrorCode %d, MsgKey %q", code, key)
			}
			for i, chunk := range chunks[1:] {
				if code, _ := send(t, c, mockserver.ChunkBody(session, key, chunk, i == 1)); code != 0 {
					t.Fatalf("chunk %d: ErrorCode %d", i+2, code)
				}
			}
			admin := c.Admin()
			journal, err := admin.Requests(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(journal) != 3 || journal[0].Path != mockserver.EndpointPath || journal[2].Seq != journal[0].Seq+2 {
				t.Errorf("the journal holds %d exchanges, want the 3 chunks in order: %+v", len(journal), journal)
			}
			st, err := admin.Stream(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if st.Text != strings.Join(chunks, "") || st.State != mockserver.StreamFinished {
				t.Errorf("stream %s: %q, %s; want %q, finished", key, st.Text, st.State, strings.Join(chunks, ""))
			}
			if err := admin.Reset(ctx); err != nil {
				t.Fatal(err)
			}
			if journal, err := admin.Requests(ctx); err != nil || len(journal) != 0 {
				t.Errorf("after reset: %d exchanges, %v", len(journal), err)
			}
			if tt.name == "http with an admin token" {
				anon := &deskmock.Admin{URL: c.AdminURL(), Client: http.DefaultClient}
				if err := anon.Reset(ctx); err == nil || !strings.Contains(err.Error(), "401") {
					t.Errorf("reset without the token: %v, want 401", err)
				}
			}
		})
	}
}

// Example starts deskmock, and points the client under test at BaseURL.
func Example() {
	ctx := context.Background()
	c, err := deskmock.Run(ctx, "localhost/deskmock:v1.2.3-linux-amd64",
		deskmock.WithServeArgs("--rule", "v2.calls_per_second=0"))
	if err != nil {
		panic(err)
	}
	defer testcontainers.TerminateContainer(c.Container)
	fmt.Println(c.BaseURL() + mockserver.EndpointV2Path)
}
