package main

import (
	"strings"
	"testing"
	"time"
)

func TestServerLimitsFromTheEnvironment(t *testing.T) {
	cfg, err := loadConfig("", envOf(map[string]string{
		"SPAWNHUB_SERVER_MAXPENDINGHEADS":      "5000",
		"SPAWNHUB_SERVER_MAXPENDINGHEADSPERIP": "0",
		"SPAWNHUB_SERVER_MINBODYRATE":          "2048",
		"SPAWNHUB_SERVER_BODYRATEWINDOW":       "1m",
	}))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Server
	if s.MaxPendingHeads != 5000 || s.MaxPendingHeadsPerIP != 0 || s.MinBodyRate != 2048 || s.BodyRateWindow != time.Minute ||
		s.ReadHeaderTimeout != 10*time.Second {
		t.Errorf("server = %+v, want the environment's caps and rate, the default header timeout", s)
	}
}

func TestValidateServerLimits(t *testing.T) {
	cfg := defaults()
	cfg.Server = ServerConfig{MaxPendingHeads: 10, MaxPendingHeadsPerIP: 11, MinBodyRate: 1, BodyRateWindow: time.Millisecond}
	err := cfg.Validate()
	for _, want := range []string{"server.readHeaderTimeout", "server.idleTimeout", "server.maxPendingHeadsPerIP", "server.bodyRateWindow"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want a problem with %s", err, want)
		}
	}
	cfg.Server = defaultServerConfig()
	cfg.Server.MinBodyRate, cfg.Server.BodyRateWindow = 0, 0 // no minimum rate
	if err := cfg.Server.validate(); err != nil {
		t.Errorf("validate() with the body rate off = %v, want nil", err)
	}
}
