package auth

import (
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func claimsOf(t *testing.T, js string) map[string]json.RawMessage {
	t.Helper()
	var c map[string]json.RawMessage
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		t.Fatalf("claims %s: %v", js, err)
	}
	return c
}

func TestIdentityFromClaims(t *testing.T) {
	defaults, err := withOIDCDefaults(OIDCConfig{Issuer: "i", ClientID: "c", RedirectURL: "r"})
	if err != nil {
		t.Fatal(err)
	}
	azure := defaults
	azure.AllowedDomains = []string{"@Example.ORG"}
	for _, tt := range []struct {
		name, claims string
		cfg          OIDCConfig
		wantEmail    string
		wantName     string
		wantGroups   []string
		wantErr      error
	}{
		{"email claim", `{"email":"Jane@Example.org","name":"Jane","groups":["a","b"]}`, defaults,
			"jane@example.org", "Jane", []string{"a", "b"}, nil},
		{"azure preferred_username", `{"preferred_username":" Bob@EXAMPLE.org ","groups":"solo"}`, azure,
			"bob@example.org", "bob@example.org", []string{"solo"}, nil},
		{"azure upn", `{"preferred_username":"bob","upn":"bob@example.org"}`, azure,
			"bob@example.org", "bob@example.org", nil, nil},
		{"unverified email skipped", `{"email":"x@evil.example","email_verified":false,"upn":"ok@example.org"}`, defaults,
			"ok@example.org", "ok@example.org", nil, nil},
		{"unverified as string", `{"email":"x@evil.example","email_verified":"false"}`, defaults, "", "", nil, ErrLoginDenied},
		{"verified email", `{"email":"v@example.org","email_verified":true}`, defaults, "v@example.org", "v@example.org", nil, nil},
		{"groups with non-strings", `{"email":"a@b.c","groups":["x",1,null,"",{"y":1},"z"]}`, defaults,
			"a@b.c", "a@b.c", []string{"x", "z"}, nil},
		{"groups of another type", `{"email":"a@b.c","groups":{"x":1}}`, defaults, "a@b.c", "a@b.c", nil, nil},
		{"name of another type", `{"email":"a@b.c","name":42}`, defaults, "a@b.c", "a@b.c", nil, nil},
		{"no email", `{"sub":"x","name":"X"}`, defaults, "", "", nil, ErrLoginDenied},
		{"email not an address", `{"email":"nobody"}`, defaults, "", "", nil, ErrLoginDenied},
		{"two at signs", `{"email":"a@b@example.org"}`, defaults, "", "", nil, ErrLoginDenied},
		{"space inside", `{"email":"a b@example.org"}`, defaults, "", "", nil, ErrLoginDenied},
		{"domain not allowed", `{"email":"a@example.org.evil"}`, azure, "", "", nil, ErrLoginDenied},
		{"subdomain not allowed", `{"email":"a@sub.example.org"}`, azure, "", "", nil, ErrLoginDenied},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id, err := identityFromClaims(tt.cfg, claimsOf(t, tt.claims))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("identityFromClaims(%s) error = %v, want %v", tt.claims, err, tt.wantErr)
			}
			if id.Email != tt.wantEmail || id.UserID != tt.wantEmail || id.Name != tt.wantName || !slices.Equal(id.Groups, tt.wantGroups) {
				t.Errorf("identityFromClaims(%s) = %q %q %q %v, want %q %q %q %v", tt.claims,
					id.UserID, id.Email, id.Name, id.Groups, tt.wantEmail, tt.wantEmail, tt.wantName, tt.wantGroups)
			}
		})
	}
}

func TestLocalPath(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"/", "/"},
		{"/hub/ns/alice?x=1#top", "/hub/ns/alice?x=1#top"},
		{"/notebook/alice/lab/%2e%2e/x", "/notebook/alice/lab/%2e%2e/x"},
		{"", "/"},
		{"hub", "/"},
		{"https://evil.example", "/"},
		{"https://evil.example/hub", "/"},
		{"//evil.example", "/"},
		{"///evil.example", "/"},
		{"/\\evil.example", "/"},
		{"\\\\evil.example", "/"},
		{"/%2F%2Fevil.example", "/"},
		{"/%5Cevil.example", "/"},
		{"/\t/evil.example", "/"},
		{"/\r\nSet-Cookie: x=y", "/"},
		{"javascript:alert(1)", "/"},
		{"/" + strings.Repeat("a", 3000), "/"},
	} {
		if got := localPath(tt.in); got != tt.want {
			t.Errorf("localPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzLocalPath checks that whatever localPath lets through is a path on
// this site as a browser would resolve it.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/", "/a?b#c", "//x", "/\\x", "https://x", "/%2f%2fx", "/@x", "/.//x"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://hub.example/some/page")
	f.Fuzz(func(t *testing.T, in string) {
		got := localPath(in)
		if got != "/" && got != in {
			t.Fatalf("localPath(%q) = %q, want the input or /", in, got)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("localPath(%q) = %q, which does not parse: %v", in, got, err)
		}
		if r := base.ResolveReference(u); r.Host != base.Host || r.Scheme != base.Scheme {
			t.Fatalf("localPath(%q) = %q, which leads to %s", in, got, r)
		}
		if strings.ContainsAny(got, "\\\r\n\t") || strings.HasPrefix(got, "//") {
			t.Fatalf("localPath(%q) = %q, which a browser may read as another host", in, got)
		}
	})
}

func TestStateSealer(t *testing.T) {
	s, err := newStateSealer(testStateKey)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	want := loginState{State: "s", Nonce: "n", Verifier: "v", Next: "/x", Expires: now.Add(time.Minute).Unix()}
	v, err := s.seal(want)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.open(v, now); err != nil || got != want {
		t.Errorf("open(seal(%+v)) = %+v, %v; want it back", want, got, err)
	}
	if _, err := s.open(v, now.Add(time.Minute)); !errors.Is(err, ErrLoginState) {
		t.Errorf("open at expiry: error = %v, want ErrLoginState", err)
	}
	evil := want
	evil.Next = "//evil.example"
	v, _ = s.seal(evil)
	if got, _ := s.open(v, now); got.Next != "/" {
		t.Errorf("open of a state with next %q: next = %q, want /", evil.Next, got.Next)
	}
}

// FuzzStateOpen checks that no cookie value forged without the key opens.
func FuzzStateOpen(f *testing.F) {
	s, err := newStateSealer(testStateKey)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	good, _ := s.seal(loginState{State: "s", Nonce: "n", Verifier: "v", Expires: now.Add(time.Minute).Unix()})
	f.Add(good[:len(good)-1])
	f.Add(good + "A")
	f.Add("")
	f.Add("e30")
	f.Fuzz(func(t *testing.T, value string) {
		if value == good {
			return
		}
		if st, err := s.open(value, now); err == nil {
			t.Fatalf("open(%q) = %+v, want ErrLoginState", value, st)
		}
	})
}
