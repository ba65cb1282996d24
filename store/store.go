// Package store keeps the state every spawnhub replica shares: server records
// (with a version for compare-and-set), routes (with pub/sub invalidation),
// user activity, per-server events, users and namespaces, hashed API tokens,
// revoked sessions, leases, one-time codes and the start queue. Anything that must survive the death of a
// replica lives here. store/redis is the production implementation and
// store/memory the embedded one; both pass the contract suite in
// store/storetest.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors every implementation returns; callers compare with errors.Is.
var (
	ErrNotFound = errors.New("store: not found")
	ErrConflict = errors.New("store: conflict") // version mismatch or already exists
)

// Store is everything the replicas share. Implementations must be safe for
// concurrent use by many goroutines and many processes.
type Store interface {
	ServerStore
	RouteStore
	ActivityStore
	EventStore
	UserStore
	TokenStore
	SessionStore
	LeaseStore
	CodeStore
	QueueStore
	PubSub
	AdminIndex
	Ping(ctx context.Context) error
	Close() error
}

// ServerStore keeps server records. Every write is a compare-and-set on
// Server.Version so that two replicas never act on the same server at once.
type ServerStore interface {
	// CreateServer stores a new record with Version 1; ErrConflict if the
	// name is taken in that namespace.
	CreateServer(ctx context.Context, s Server) (Server, error)
	GetServer(ctx context.Context, ns, name string) (Server, error)
	// ListServers returns the namespace's servers sorted by name; ns == ""
	// lists every namespace.
	ListServers(ctx context.Context, ns string) ([]Server, error)
	// UpdateServer replaces the record if s.Version is the stored version,
	// and returns it with the next version; ErrConflict otherwise,
	// ErrNotFound if it is gone.
	UpdateServer(ctx context.Context, s Server) (Server, error)
	// DeleteServer removes the record, its route, activity and events if
	// version matches.
	DeleteServer(ctx context.Context, ns, name string, version int64) error
}

// RouteStore tells every replica where a running server listens. SetRoute
// and DeleteRoute publish the key on TopicRoutes so that caches drop it.
type RouteStore interface {
	SetRoute(ctx context.Context, key Key, r Route) error
	GetRoute(ctx context.Context, key Key) (Route, error)
	DeleteRoute(ctx context.Context, key Key) error
}

// ActivityStore is a sorted set of servers by last user activity.
type ActivityStore interface {
	// MarkActivity records activity times; a time older than the stored
	// one is ignored.
	MarkActivity(ctx context.Context, marks map[Key]time.Time) error
	LastActivity(ctx context.Context, key Key) (time.Time, error)
	// LastActivities returns the last activity of each of keys that has
	// one, in one round trip (a page of servers costs one read).
	LastActivities(ctx context.Context, keys []Key) (map[Key]time.Time, error)
	// IdleSince returns the servers whose last activity is before t, in one
	// range query, oldest first.
	IdleSince(ctx context.Context, t time.Time) ([]Activity, error)
	ClearActivity(ctx context.Context, key Key) error
	// RecordActivity is MarkActivity with the source of each mark: a source
	// is kept when its time is the newest of the server.
	RecordActivity(ctx context.Context, marks map[Key]Mark) error
	// Activities returns the last activity, with its source, of each of
	// keys that has one, in one round trip.
	Activities(ctx context.Context, keys []Key) (map[Key]Activity, error)
}

// EventStore keeps the most recent MaxEvents events of each server; they
// outlive the backend's own (Kubernetes forgets its events after an hour).
type EventStore interface {
	AppendEvent(ctx context.Context, key Key, e Event) error
	// ListEvents returns the events oldest first.
	ListEvents(ctx context.Context, key Key) ([]Event, error)
}

// MaxEvents is how many events a server keeps.
const MaxEvents = 200

// UserStore keeps users and the namespaces they own or share.
type UserStore interface {
	PutUser(ctx context.Context, u User) error
	GetUser(ctx context.Context, id string) (User, error)
	// CreateNamespace stores a new namespace with Version 1; ErrConflict if
	// it exists.
	CreateNamespace(ctx context.Context, n Namespace) (Namespace, error)
	GetNamespace(ctx context.Context, name string) (Namespace, error)
	// UpdateNamespace is a compare-and-set on n.Version, like UpdateServer.
	UpdateNamespace(ctx context.Context, n Namespace) (Namespace, error)
	ListNamespaces(ctx context.Context) ([]Namespace, error)
}

// TokenStore keeps API tokens. Only a hash of the secret is stored.
type TokenStore interface {
	// CreateToken stores t; ErrConflict if its hash or ID is known.
	CreateToken(ctx context.Context, t Token) error
	// TokenByHash returns the token with that hash; ErrNotFound if unknown or
	// expired.
	TokenByHash(ctx context.Context, hash string) (Token, error)
	// ListTokens returns the user's unexpired tokens, newest first.
	ListTokens(ctx context.Context, userID string) ([]Token, error)
	// DeleteToken revokes a token of the user; ErrNotFound if not theirs.
	// It publishes the hash on TopicTokens.
	DeleteToken(ctx context.Context, userID, id string) error
}

// SessionStore remembers revoked sessions until they would have expired.
type SessionStore interface {
	// RevokeSession publishes the id on TopicSessions.
	RevokeSession(ctx context.Context, id string, until time.Time) error
	IsSessionRevoked(ctx context.Context, id string) (bool, error)
}

// LeaseStore gives a named lease to one holder at a time, for work that runs
// on a single replica (the culler).
type LeaseStore interface {
	// AcquireLease takes or renews the lease; false if another holder has it.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// CodeStore keeps one-time codes: a value that can be taken once, until it
// expires (the workspace origins' sign-in handshake). Callers pass a hash of
// the code, never the code itself.
type CodeStore interface {
	PutCode(ctx context.Context, code, value string, ttl time.Duration) error
	// TakeCode returns the value and forgets it; ErrNotFound if the code is
	// unknown, expired or already taken.
	TakeCode(ctx context.Context, code string) (string, error)
}

// Topics on which the store publishes invalidations.
const (
	TopicRoutes   = "routes"   // message: Key.String() of the route that changed
	TopicServers  = "servers"  // message: Key.String() of the record that changed
	TopicSessions = "sessions" // message: the revoked session id
	TopicTokens   = "tokens"   // message: the revoked token hash
	TopicAccess   = "access"   // message: a namespace whose sharing changed
)

// PubSub carries invalidations between replicas. Delivery is best effort:
// subscribers that reconnect must treat it as "everything may have changed".
type PubSub interface {
	Publish(ctx context.Context, topic, msg string) error
	// Subscribe delivers messages until ctx is done, then closes the channel.
	// An empty message means the subscription was interrupted and resumed:
	// drop every cached entry.
	Subscribe(ctx context.Context, topic string) (<-chan string, error)
}
