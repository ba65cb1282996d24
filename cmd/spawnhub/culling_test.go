package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCullingKeysFromFileAndEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	yaml := "culling:\n  enabled: true\n  idleTimeout: 2h\n  byKind:\n    desktop: {idleTimeout: 30m}\n  maxAge: 24h\n  warnBefore: 10m\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(path, envOf(map[string]string{"SPAWNHUB_CULLING_INTERVAL": "30s", "SPAWNHUB_CULLING_DRYRUN": "true"}))
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Culling.spawner()
	if !c.Enabled || c.IdleTimeout != 2*time.Hour || c.ByKind["desktop"] != 30*time.Minute || c.MaxAge != 24*time.Hour ||
		c.WarnBefore != 10*time.Minute || c.Interval != 30*time.Second || !c.DryRun {
		t.Errorf("culling = %+v, want the file's keys and the environment's interval and dryRun", c)
	}
}

func TestValidateNamesBadCullingKeys(t *testing.T) {
	cfg := defaults()
	cfg.Culling = CullingConfig{Enabled: true, IdleTimeout: -time.Minute, ByKind: map[string]KindCulling{"vm": {IdleTimeout: time.Hour}}}
	err := cfg.Validate()
	for _, want := range []string{"culling.idleTimeout", "culling.byKind.vm", "culling.interval"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to name %s", err, want)
		}
	}
}
