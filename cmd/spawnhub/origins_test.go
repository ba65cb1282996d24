package main

import (
	"net"
	"strings"
	"testing"
)

func TestValidateOrigins(t *testing.T) {
	for _, tt := range []struct {
		name                 string
		publicURL, workspace string
		insecure             bool
		wantErr              string // "" = valid
	}{
		{"embedded default", "", "", false, ""},
		{"loopback hub, default workspaces", "http://127.0.0.1:8000", "", false, ""},
		{"https hub with workspace origins", "https://hub.example.org", "https://{ns}.nb.example.org", false, ""},
		{"https hub without workspace origins", "https://hub.example.org", "", false, "workspaceURL: required with an https publicURL"},
		{"remote http hub without workspace origins", "http://hub.example.org", "", false, "workspaceURL: required when publicURL"},
		{"the insecure mode, insisted on", "https://hub.example.org", "", true, ""},
		{"insecure with a workspace URL", "https://hub.example.org", "https://{ns}.nb.example.org", true, "cannot be set with insecureSameOriginWorkspaces"},
		{"workspaces on the hub's host", "https://hub.example.org", "https://hub.example.org", false, "includes the hub's own host"},
		{"workspaces around the hub's host", "https://hub.example.org", "https://{ns}.example.org", false, "includes the hub's own host"},
		{"a path in the workspace URL", "https://hub.example.org", "https://{ns}.nb.example.org/x", false, "origin only"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := defaults()
			c.PublicURL, c.WorkspaceURL, c.InsecureSameOriginWorkspaces = tt.publicURL, tt.workspace, tt.insecure
			err := c.validateOrigins()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("validateOrigins() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("validateOrigins() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestDefaultOriginsFollowTheListener(t *testing.T) {
	c := defaults()
	o, err := c.origins(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 41234})
	if err != nil {
		t.Fatal(err)
	}
	if o.Hub() != "http://127.0.0.1:41234" || o.Workspace("alice") != "http://alice.localhost:41234" || o.SameOrigin() {
		t.Errorf("origins = hub %s, alice %s; want the listener's port on 127.0.0.1 and alice.localhost", o.Hub(), o.Workspace("alice"))
	}
}
