package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"

	"github.com/spawnhub/spawnhub/auth"
)

// validateOrigins checks that workspaces get origins of their own unless
// the operator insists (DESIGN "Origins").
func (c Config) validateOrigins() error {
	if c.InsecureSameOriginWorkspaces {
		if c.WorkspaceURL != "" {
			return errors.New("workspaceURL: cannot be set with insecureSameOriginWorkspaces")
		}
		return nil
	}
	if c.WorkspaceURL != "" {
		hub, err := url.Parse(c.hubURLOrDefault(c.Listen))
		if err != nil || hub.Host == "" {
			return nil // publicURL's own check reports it
		}
		_, err = auth.NewOrigins(hub, c.WorkspaceURL, false, false)
		return err
	}
	if c.PublicURL == "" {
		return nil // loopback hub: workspaces on http://{ns}.localhost:<port>
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil {
		return nil
	}
	switch {
	case u.Scheme == "https":
		return errors.New("workspaceURL: required with an https publicURL, or workspaces would share the hub's origin (set insecureSameOriginWorkspaces to insist)")
	case !isLoopback(u.Host) && !isLoopback(net.JoinHostPort(u.Hostname(), "0")):
		return fmt.Errorf("workspaceURL: required when publicURL %s is not a loopback address", c.PublicURL)
	}
	return nil
}

// hubURLOrDefault is publicURL, or the listen address on loopback.
func (c Config) hubURLOrDefault(listen string) string {
	if c.PublicURL != "" {
		return c.PublicURL
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// origins are the hub's and the workspaces' origins once the listener's
// address is known (its port may have been chosen by the system).
func (c Config) origins(listen net.Addr) (*auth.Origins, error) {
	hub, err := url.Parse(c.hubURLOrDefault(listen.String()))
	if err != nil || hub.Host == "" {
		return nil, fmt.Errorf("publicURL: %q is not a URL", c.PublicURL)
	}
	ws := c.WorkspaceURL
	if ws == "" && !c.InsecureSameOriginWorkspaces {
		port := hub.Port()
		if port == "" {
			port = strconv.Itoa(listen.(*net.TCPAddr).Port)
		}
		ws = "http://{ns}.localhost:" + port
	}
	return auth.NewOrigins(hub, ws, c.InsecureSameOriginWorkspaces, c.Auth.Mode == "dev")
}
