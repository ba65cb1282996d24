#!/bin/sh
# build.sh builds Dex (the OpenID provider used by login tests) from the Go
# module proxy into ${SPAWNHUB_DEX_CACHE:-$HOME/.cache/spawnhub-dex}/bin/dex,
# and does nothing when that binary already exists.
#
# Only a master pseudo-version of github.com/dexidp/dex is on the proxy, and
# its go.mod replaces the nested api/v2 module with ./api/v2, which the module
# zip lacks. So: copy the module source, drop that replace, use api/v2@v2.4.0,
# and remove server/apiserver (the gRPC admin API, which needs newer api/v2
# types and is not used for login).
set -eu

DEX_VERSION=${DEX_VERSION:-v0.0.0-20260806151424-ab64ed778070}
API_VERSION=v2.4.0
CACHE=${SPAWNHUB_DEX_CACHE:-$HOME/.cache/spawnhub-dex}
BIN=$CACHE/bin/dex

if [ -x "$BIN" ]; then
	echo "dex already built: $BIN"
	exit 0
fi

mkdir -p "$CACHE/bin"
# One build at a time (test packages may start it in parallel).
if command -v flock >/dev/null; then
	exec 9>"$CACHE/build.lock"
	flock 9
	if [ -x "$BIN" ]; then
		echo "dex already built: $BIN"
		exit 0
	fi
fi
WORK=$(mktemp -d "$CACHE/build.XXXXXX")
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT

# Outside any module, so that go mod download does not touch a caller's go.mod.
cd "$WORK"
SRC=$(GOFLAGS= GO111MODULE=on go mod download -json "github.com/dexidp/dex@$DEX_VERSION" |
	sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
[ -n "$SRC" ] || { echo "build.sh: cannot download dex $DEX_VERSION" >&2; exit 1; }

cp -r "$SRC" src && chmod -R u+w src && cd src
sed -i 's#^replace github.com/dexidp/dex/api/v2 => ./api/v2#//&#' go.mod
GOFLAGS=-mod=mod go mod edit -require="github.com/dexidp/dex/api/v2@$API_VERSION"
GOFLAGS=-mod=mod go mod download "github.com/dexidp/dex/api/v2@$API_VERSION"
rm -r server/apiserver
sed -i '/"github.com\/dexidp\/dex\/server\/apiserver"/d' cmd/dex/serve.go
sed -i 's#api.RegisterDexServer(grpcSrv, apiserver.NewAPI(.*#api.RegisterDexServer(grpcSrv, api.UnimplementedDexServer{})#' cmd/dex/serve.go

GOFLAGS=-mod=mod go build -o "$WORK/dex" ./cmd/dex
mv "$WORK/dex" "$BIN" # same file system: atomic
echo "dex built: $BIN"
