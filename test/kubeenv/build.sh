#!/usr/bin/env bash
# Builds the Kubernetes control plane that test/kubeenv starts, from Go
# modules only (nothing but Go and the module proxy is needed):
#
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl
#                     k8s.io/kubernetes v$K8S_VERSION
#   etcd              go.etcd.io/etcd/server/v3 v$ETCD_VERSION
#   kwok, stages.yaml, storage-class.yaml
#                     sigs.k8s.io/kwok v$KWOK_VERSION
#
# Each build happens in a small wrapper module generated under the cache
# directory, because the upstream modules carry replace directives that
# forbid `go install`. A stamp file per version makes reruns free.
#
#   test/kubeenv/build.sh           # build what is missing, print the bin dir
#   SPAWNHUB_KUBE_CACHE=dir build.sh
#
# The last line of output is the directory holding the binaries.
set -euo pipefail

K8S_VERSION=1.37.2
ETCD_VERSION=3.6.16
KWOK_VERSION=0.8.0

root="${SPAWNHUB_KUBE_CACHE:-$HOME/.cache/spawnhub-kube}/v$K8S_VERSION"
bin="$root/bin"
src="$root/src"
mkdir -p "$bin" "$src"

# Wrapper modules must not see a workspace or vendor settings of the caller.
export GOWORK=off GOFLAGS=-mod=mod

# One build at a time per cache directory: parallel test binaries may all
# call this script.
exec 9>"$root/.lock"
flock 9

log() { echo "kubeenv/build: $*" >&2; }

# built <name> <version>: is the binary there with a stamp for this version?
built() { [ -x "$bin/$1" ] && [ -f "$root/stamp-$1-$2" ]; }
stamp() { touch "$root/stamp-$1-$2"; }

build_kubernetes() {
	local names=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
	local todo=()
	for n in "${names[@]}"; do built "$n" "$K8S_VERSION" || todo+=("$n"); done
	[ ${#todo[@]} -eq 0 ] && return
	log "building ${todo[*]} from k8s.io/kubernetes v$K8S_VERSION (about 6 min cold)"
	local d="$src/kubernetes"
	rm -rf "$d" && mkdir -p "$d" && cd "$d"
	go mod init spawnhub.test/kubewrap >/dev/null 2>&1
	local gomod
	gomod=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
	[ -n "$gomod" ] || { log "cannot download k8s.io/kubernetes@v$K8S_VERSION"; exit 1; }
	# Every staging module (k8s.io/api => ./staging/src/k8s.io/api, ...)
	# becomes its published v0.<minor>.<patch> release.
	local staging
	staging=$(grep -oE '^\s*k8s.io/[a-z0-9-]+ => ./staging' "$gomod" | awk '{print $1}')
	[ -n "$staging" ] || { log "no staging replaces found in $gomod"; exit 1; }
	for m in $staging; do go mod edit -replace="$m=$m@v0.${K8S_VERSION#1.}"; done
	go mod edit -require="k8s.io/kubernetes@v$K8S_VERSION"
	for n in "${todo[@]}"; do go mod edit -tool="k8s.io/kubernetes/cmd/$n"; done
	go mod tidy
	local minor=${K8S_VERSION#1.}
	minor=${minor%%.*}
	local ld="-s -w"
	for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ld+=" -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
		ld+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
	done
	for n in "${todo[@]}"; do
		go build -ldflags "$ld" -o "$bin/$n.tmp" "k8s.io/kubernetes/cmd/$n"
		mv "$bin/$n.tmp" "$bin/$n"
		stamp "$n" "$K8S_VERSION"
		log "built $n"
	done
}

build_etcd() {
	built etcd "$ETCD_VERSION" && return
	log "building etcd v$ETCD_VERSION (about 1 min)"
	local d="$src/etcd"
	rm -rf "$d" && mkdir -p "$d" && cd "$d"
	go mod init spawnhub.test/etcdwrap >/dev/null 2>&1
	cat >main.go <<'GO'
// Command etcd is etcd's own main, in a module that can be built with go build.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
	go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
	go mod tidy
	go build -ldflags "-s -w" -o "$bin/etcd.tmp" .
	mv "$bin/etcd.tmp" "$bin/etcd"
	stamp etcd "$ETCD_VERSION"
	log "built etcd"
}

build_kwok() {
	built kwok "$KWOK_VERSION" && [ -f "$bin/stages.yaml" ] && [ -f "$bin/storage-class.yaml" ] && return
	log "building kwok v$KWOK_VERSION (about 75 s)"
	local d="$src/kwok"
	rm -rf "$d" && mkdir -p "$d" && cd "$d"
	go mod init spawnhub.test/kwokwrap >/dev/null 2>&1
	go get -tool "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
	go build -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=v$KWOK_VERSION" -o "$bin/kwok.tmp" sigs.k8s.io/kwok/cmd/kwok
	mv "$bin/kwok.tmp" "$bin/kwok"

	local stage
	stage="$(go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)/kustomize/stage"
	local f
	for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
		pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete \
		volume/fast/pv-bind volume/fast/pv-delete volume/fast/pvc-provision volume/fast/pvc-delete; do
		echo ---
		cat "$stage/$f.yaml"
	done >"$bin/stages.yaml.tmp"
	mv "$bin/stages.yaml.tmp" "$bin/stages.yaml"
	cp "$stage/volume/fast/storage-class.yaml" "$bin/storage-class.yaml"
	chmod 0644 "$bin/stages.yaml" "$bin/storage-class.yaml"
	stamp kwok "$KWOK_VERSION"
	log "built kwok and its stages"
}

start=$SECONDS
build_kubernetes
build_etcd
build_kwok
[ $((SECONDS - start)) -gt 1 ] && log "done in $((SECONDS - start)) s"
echo "$bin"
