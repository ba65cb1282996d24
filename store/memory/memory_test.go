package memory_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
	"github.com/spawnhub/spawnhub/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := memory.New()
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// TestSlowSubscriber checks that a subscriber that does not read never
// blocks the publisher, and is told to resync.
func TestSlowSubscriber(t *testing.T) {
	s := memory.New()
	ch, err := s.Subscribe(t.Context(), "topic")
	if err != nil {
		t.Fatal(err)
	}
	const n = 5000
	for i := range n {
		if err := s.Publish(t.Context(), "topic", fmt.Sprint(i)); err != nil {
			t.Fatalf("Publish %d: %v", i, err)
		}
	}
	if err := s.Publish(t.Context(), "topic", "last"); err != nil {
		t.Fatal(err)
	}
	resync, received := false, 0
	timeout := time.After(10 * time.Second)
	for {
		select {
		case msg := <-ch:
			received++
			switch msg {
			case "":
				resync = true
			case "last":
				if !resync {
					t.Errorf("got every message without a resync, want a resync after %d unread messages", n)
				}
				if received > n {
					t.Errorf("received %d messages, want fewer than %d: the overflow should have been dropped", received, n)
				}
				return
			}
		case <-timeout:
			t.Fatalf("no message \"last\" after 10s; received %d, resync %v", received, resync)
		}
	}
}

func TestClockExpiry(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := memory.NewWithClock(func() time.Time { return now })
	ctx := t.Context()
	tok := store.Token{ID: "t", Hash: "h", User: "jane", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSession(ctx, "s", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.AcquireLease(ctx, "l", "a", time.Hour); !ok {
		t.Fatal("AcquireLease = false, want true")
	}
	now = now.Add(time.Hour)
	if _, err := s.TokenByHash(ctx, "h"); err == nil {
		t.Error("TokenByHash at its expiry: got nil error, want ErrNotFound")
	}
	if revoked, _ := s.IsSessionRevoked(ctx, "s"); revoked {
		t.Error("IsSessionRevoked at its until = true, want false")
	}
	if ok, _ := s.AcquireLease(ctx, "l", "b", time.Hour); !ok {
		t.Error("AcquireLease by another holder after the ttl = false, want true")
	}
}
