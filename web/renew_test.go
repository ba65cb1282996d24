package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/auth"
)

// TestSessionRenewal: a session past half its life gets a fresh cookie
// with the same session id (so logout still revokes it); a young one
// does not.
func TestSessionRenewal(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	signer, err := auth.NewSigner([]auth.Key{{ID: "k", Secret: []byte(strings.Repeat("k", 32))}}, 12*time.Hour, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	w := &Web{opts: Options{Signer: signer}, now: func() time.Time { return now }}
	for _, tt := range []struct {
		name      string
		left      time.Duration
		wantRenew bool
	}{
		{"young session", 11 * time.Hour, false},
		{"old session", 5 * time.Hour, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), rec)
			w.renewSession(c, auth.Identity{UserID: "alice", SessionID: "sid", Expires: now.Add(tt.left)})
			cookies := rec.Result().Cookies()
			if renewed := len(cookies) == 1; renewed != tt.wantRenew {
				t.Fatalf("renewed = %v, want %v", renewed, tt.wantRenew)
			}
			if !tt.wantRenew {
				return
			}
			id, exp, err := signer.Verify(cookies[0].Value)
			if err != nil || id.SessionID != "sid" || !exp.Equal(now.Add(12*time.Hour)) {
				t.Errorf("renewed session = %+v expiring %v (%v), want sid for 12h more", id, exp, err)
			}
		})
	}
}
