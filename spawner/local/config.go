package local

// Config is the local backend's part of the configuration
// (spawner.local.*).
type Config struct {
	// User is the account servers run as: DefaultUser when empty and
	// spawnhub runs as root (never root itself); spawnhub's own account
	// when spawnhub does not run as root, which cannot switch.
	User string `yaml:"user"`
}
