package redis

import "github.com/spawnhub/spawnhub/store"

// keys names every key. What one script touches shares a hash tag so that
// it lands in one Cluster slot:
//
//	<p>{<ns>}:srv:<name>      hash v=version d=JSON server record
//	<p>{<ns>}:servers         set of server names in ns
//	<p>{<ns>}:route:<name>    JSON route
//	<p>{<ns>}:events:<name>   list of JSON events, capped at store.MaxEvents
//	<p>server-namespaces      set of namespaces that have had servers
//	<p>activity               sorted set: Key.String() by unix milliseconds
//	<p>activity-source        hash: Key.String() → "<ms> <source>" of its newest mark
//	<p>user:{<id>}            JSON user
//	<p>ns:{<name>}            hash v=version d=JSON namespace
//	<p>namespaces             set of namespace names
//	<p>token:{<hash>}         JSON token, with the token's TTL
//	<p>tokenid:{<id>}         the same JSON, by id, with the same TTL
//	<p>{user:<id>}:tokens     sorted set: token ids by creation, unix ms
//	<p>revoked:{<id>}         "1" until the session would have expired
//	<p>lease:{<name>}         the holder, with the lease's TTL
//	<p>code:{<hash>}          a one-time code's value, with its TTL
//	<p>topic:<topic>          pub/sub channel
//	<p>{q:<backend>}:…         the backend's start queue (see queuescripts.go)
//	<p>{admin}:<part>         the administrators' index (see adminscript.go):
//	                          sums, meta, names, started, buckets, live, runs
type keys struct{ prefix string }

func (k keys) ns(ns string) string           { return k.prefix + "{" + ns + "}:" }
func (k keys) server(key store.Key) string   { return k.ns(key.Namespace) + "srv:" + key.Name }
func (k keys) servers(ns string) string      { return k.ns(ns) + "servers" }
func (k keys) route(key store.Key) string    { return k.ns(key.Namespace) + "route:" + key.Name }
func (k keys) events(key store.Key) string   { return k.ns(key.Namespace) + "events:" + key.Name }
func (k keys) serverNamespaces() string      { return k.prefix + "server-namespaces" }
func (k keys) activity() string              { return k.prefix + "activity" }
func (k keys) activitySource() string        { return k.prefix + "activity-source" }
func (k keys) user(id string) string         { return k.prefix + "user:{" + id + "}" }
func (k keys) namespace(name string) string  { return k.prefix + "ns:{" + name + "}" }
func (k keys) namespaces() string            { return k.prefix + "namespaces" }
func (k keys) token(hash string) string      { return k.prefix + "token:{" + hash + "}" }
func (k keys) tokenID(id string) string      { return k.prefix + "tokenid:{" + id + "}" }
func (k keys) userTokens(user string) string { return k.prefix + "{user:" + user + "}:tokens" }
func (k keys) revoked(id string) string      { return k.prefix + "revoked:{" + id + "}" }
func (k keys) lease(name string) string      { return k.prefix + "lease:{" + name + "}" }
func (k keys) code(hash string) string       { return k.prefix + "code:{" + hash + "}" }
func (k keys) topic(topic string) string     { return k.prefix + "topic:" + topic }
func (k keys) queue(backend string) string   { return k.prefix + "{q:" + backend + "}:" }
func (k keys) admin(part string) string      { return k.prefix + "{admin}:" + part }
