package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/internal/config"
)

func TestLayersOverrideInOrder(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	os.WriteFile(file, []byte(`
request_timeout: 3s
defaults:
  timeout: 700ms
  max_retries: 1
pricing:
  timeout: 200ms
users:
  forward_headers: [Authorization, Accept-Language]
`), 0o600)
	c, err := config.Load(file, []string{"TRIBUTARY_PRICING_MAX_RETRIES=0", "TRIBUTARY_REQUEST_TIMEOUT=4s", "OTHER=1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"env over file", c.RequestTimeout, 4 * time.Second},
		{"service over defaults", c.Services["pricing"].Timeout, 200 * time.Millisecond},
		{"defaults inherited", c.Services["users"].Timeout, 700 * time.Millisecond},
		{"env over service file", c.Services["pricing"].MaxRetries, 0},
		{"file defaults over built-in", c.Services["orders"].MaxRetries, 1},
		{"built-in default", c.Services["orders"].BreakerConsecutiveFailures, 5},
		{"list", strings.Join(c.Services["users"].ForwardHeaders, ","), "Authorization,Accept-Language"},
		{"inherited list", strings.Join(c.Services["orders"].ForwardHeaders, ","), "Authorization"},
		{"caller-independent: none inherited", len(c.Services["catalog"].ForwardHeaders), 0},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestProductionProfileChangesDefaultsOnly(t *testing.T) {
	c, err := config.Load("", []string{"TRIBUTARY_PROFILE=production", "TRIBUTARY_PLAYGROUND=true"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Introspection || c.SchemaEndpoint || c.FanoutReport || c.PlanReport || c.Log.Format != "json" {
		t.Errorf("production defaults not applied: %+v", c)
	}
	if !c.Playground {
		t.Error("an explicit setting must win over the profile")
	}
}

func TestInvalidConfigurationNamesEveryBadKey(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	os.WriteFile(file, []byte("pricing:\n  timout: 1s\n"), 0o600)
	_, err := config.Load(file, []string{"TRIBUTARY_LOG_LEVEL=loud", "TRIBUTARY_USERS_FORWARD_HEADERS=Host",
		"TRIBUTARY_CATALOG_FORWARD_HEADERS=Authorization", "TRIBUTARY_BATCH_SHARE_QUEUE=0"})
	if err == nil {
		t.Fatal("no error")
	}
	// catalog is declared caller-independent: forwarding to it contradicts
	// the schema.
	for _, want := range []string{"timout", "log.level", "users.forward_headers", "catalog.forward_headers", "batch.share_queue"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
}

// The example file of the docs stays valid.
func TestExampleConfigurationLoads(t *testing.T) {
	c, err := config.Load("../../deploy/tributary.example.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Services["pricing"].Timeout != 300*time.Millisecond || c.Services["users"].Timeout != 800*time.Millisecond || !c.Services["catalog"].Critical {
		t.Errorf("per-service settings not applied: %+v %+v", c.Services["pricing"], c.Services["catalog"])
	}
	if len(c.Services["orders"].ForwardHeaders) != 0 || len(c.Services["users"].ForwardHeaders) != 2 {
		t.Errorf("forward_headers: orders %v, users %v", c.Services["orders"].ForwardHeaders, c.Services["users"].ForwardHeaders)
	}
	if c.Introspection {
		t.Error("production profile should turn introspection off")
	}
}

func TestScaleOutKeysAreValidated(t *testing.T) {
	tests := []struct {
		give    []string
		wantKey string // "" means valid
	}{
		{[]string{"TRIBUTARY_REDIS_URL=redis://127.0.0.1:6379/0", "TRIBUTARY_CACHE_ENABLED=true"}, ""},
		{[]string{"TRIBUTARY_REDIS_URL=http://127.0.0.1:6379"}, "redis.url"},
		{[]string{"TRIBUTARY_REDIS_TIMEOUT=0s"}, "redis.timeout"},
		{[]string{"TRIBUTARY_CACHE_ENTRIES=0"}, "cache.entries"},
		{[]string{"TRIBUTARY_CACHE_MAX_TTL=-1s"}, "cache.max_ttl"},
		{[]string{"TRIBUTARY_CACHE_ADMIN_TOKEN=short"}, "cache.admin_token"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.give, " "), func(t *testing.T) {
			c, err := config.Load("", tt.give)
			if err == nil && c != nil {
				c.SetBackendURLs(func(string) string { return "http://127.0.0.1:1" })
				if errs := c.Validate(); len(errs) > 0 {
					err = errors.Join(errs...)
				}
			}
			switch {
			case tt.wantKey == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tt.wantKey != "" && (err == nil || !strings.Contains(err.Error(), tt.wantKey)):
				t.Errorf("got %v, want an error naming %s", err, tt.wantKey)
			}
		})
	}
}

// What the plan engine made meaningless is refused with what to do
// instead, from the environment and from a file: choosing gqlgen's
// executor, and the batching scheduler.
func TestRemovedSettingsAreRefusedWithAReason(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(file, []byte("engine: gqlgen\n"), 0o600)
	tests := []struct {
		name     string
		givePath string
		giveEnv  []string
		want     string
	}{
		{"engine from the environment", "", []string{"TRIBUTARY_ENGINE=gqlgen"}, "engine was removed: every operation but introspection runs on the plan"},
		{"engine from a file", file, nil, "engine was removed"},
		{"the scheduler", "", []string{"TRIBUTARY_BATCH_MODE=scheduler"}, "batch.mode: scheduler was removed"},
		{"an unknown mode", "", []string{"TRIBUTARY_BATCH_MODE=fast"}, "must be rounds, timer or off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(tt.givePath, tt.giveEnv)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
	for _, mode := range []string{"rounds", "timer", "off"} {
		if _, err := config.Load("", []string{"TRIBUTARY_BATCH_MODE=" + mode}); err != nil {
			t.Errorf("batch.mode %s: %v", mode, err)
		}
	}
}
