package desktop

import (
	"os"
	"path/filepath"
)

// authModule is the websockify auth plugin (websockify loads
// --auth-plugin module.Class from PYTHONPATH). It accepts a request only
// with "Authorization: token <t>", t being the value of the environment
// variable named by --auth-source; with --web-auth it guards noVNC's files
// as well as the websocket.
const authModule = "spawnhub_websockify_auth"

const authPluginSource = `# Written by spawnhub: only the proxy, which adds the server's token, may connect.
import hmac
import os

from websockify.auth_plugins import AuthenticationError


class TokenAuth:
    def __init__(self, src=None):
        self.want = ("token " + os.environ.get(src or "", "")).encode()
        if self.want == b"token ":
            raise ValueError("no token in $%s" % src)

    def authenticate(self, headers, target_host, target_port):
        got = (headers.get("Authorization") or "").encode()
        if not hmac.compare_digest(got, self.want):
            raise AuthenticationError(log_msg="request without the server's token", response_code=403, response_msg="Forbidden")
`

// writeAuthPlugin writes the plugin module into dir, for PYTHONPATH.
func writeAuthPlugin(dir string) error {
	return os.WriteFile(filepath.Join(dir, authModule+".py"), []byte(authPluginSource), 0o600)
}
