// Package form owns the rules of the spawn form, enforced on the server:
// the image catalogue and who may use each image, custom image references,
// resource limits and quantities, workspace and data volume rules, server
// and volume names, the limits' arithmetic (Quota, Quotas), and the
// *FieldError that names the field breaking a rule. BuildSpec turns a Form
// into the store.Spec of a server. Its rules are pure: it reads no store,
// runs no backend and knows nothing of a server's lifecycle (the spawner
// counts what a namespace holds and starts servers).
package form
