// Package desktop runs a remote desktop as one local server: an X server
// with a VNC extension (TigerVNC's Xvnc), a window manager, an xterm, and
// websockify serving noVNC's pages and relaying its websocket to the VNC
// server. Everything belongs to one process group (the local backend's
// server group), and nothing listens where another account could use it:
// the VNC server listens only on a Unix socket in a private folder, the X
// display takes only clients holding its cookie, and websockify, the one
// TCP listener (on loopback), answers only requests carrying the server's
// token, which the proxy adds.
package desktop
