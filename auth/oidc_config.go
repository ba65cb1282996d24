package auth

// OIDCConfig configures single sign-on with an OpenID Connect provider
// (Azure AD, Dex, Keycloak…). Only the client secret is secret: give it
// through the environment or ClientSecretFile.
type OIDCConfig struct {
	Issuer           string   `yaml:"issuer"`
	ClientID         string   `yaml:"clientID"`
	ClientSecret     string   `yaml:"clientSecret"`
	ClientSecretFile string   `yaml:"clientSecretFile"`
	RedirectURL      string   `yaml:"redirectURL"` // https://HOST/oauth2/callback
	Scopes           []string `yaml:"scopes"`      // default: openid email profile groups
	// EmailClaims are tried in order; Azure AD puts the address in email,
	// preferred_username or upn.
	EmailClaims []string `yaml:"emailClaims"`
	NameClaim   string   `yaml:"nameClaim"`   // default: name
	GroupsClaim string   `yaml:"groupsClaim"` // default: groups
	// AllowedDomains, when set, admits only emails in these domains.
	AllowedDomains []string `yaml:"allowedDomains"`
}
