package kube

import (
	"context"
	"fmt"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// permission is one thing the backend does, cluster-wide.
type permission struct{ group, resource, verb string }

func (p permission) String() string {
	r := p.resource
	if p.group != "" {
		r += "." + p.group
	}
	return p.verb + " " + r
}

// permissions lists what this configuration needs: deploy/rbac.yaml
// grants exactly these.
func (b *Backend) permissions() []permission {
	var ps []permission
	add := func(group, resource string, verbs ...string) {
		for _, v := range verbs {
			ps = append(ps, permission{group, resource, v})
		}
	}
	add("", "pods", "get", "list", "watch", "create", "delete")
	add("", "persistentvolumeclaims", "get", "list", "create", "delete")
	add("", "secrets", "create", "delete")
	add("", "namespaces", "get")
	if b.o.Events != nil {
		add("", "events", "list", "watch")
	}
	if b.o.CreateNamespaces {
		add("", "namespaces", "create")
	}
	if b.o.AllowFrom.Namespace != "" {
		add("networking.k8s.io", "networkpolicies", "get", "create")
	}
	return ps
}

// CheckAccess asks the API server whether the backend's identity may do
// everything it needs, and names what is missing.
func (b *Backend) CheckAccess(ctx context.Context) error {
	var missing []string
	for _, p := range b.permissions() {
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Group: p.group, Resource: p.resource, Verb: p.verb},
		}}
		got, err := b.client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("kube backend: check permission to %s: %w", p, err)
		}
		if !got.Status.Allowed {
			missing = append(missing, p.String())
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("kube backend: not allowed to %s cluster-wide; bind the ClusterRole of deploy/rbac.yaml to spawnhub's identity",
			strings.Join(missing, ", "))
	}
	return nil
}
