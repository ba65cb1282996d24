package kube

import (
	"context"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NetworkPolicyName is the policy that guards the workspace pods of a
// namespace.
const NetworkPolicyName = "spawnhub-workspaces"

// networkPolicy lets only spawnhub's pods reach the namespace's workspace
// pods.
func (c Config) networkPolicy(ns string) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: NetworkPolicyName, Namespace: ns, Labels: map[string]string{LabelManagedBy: ManagedBy}},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{LabelManagedBy: ManagedBy}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: c.AllowFrom.Namespace}},
				PodSelector:       &metav1.LabelSelector{MatchLabels: maps.Clone(c.AllowFrom.PodLabels)},
			}}}},
		},
	}
}

// ensureNetworkPolicy creates the namespace's policy once per backend.
func (b *Backend) ensureNetworkPolicy(ctx context.Context, ns string) error {
	if b.o.AllowFrom.Namespace == "" {
		return nil
	}
	b.mu.Lock()
	done := b.guarded[ns]
	b.mu.Unlock()
	if done {
		return nil
	}
	pols := b.client.NetworkingV1().NetworkPolicies(ns)
	_, err := pols.Get(ctx, NetworkPolicyName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = pols.Create(ctx, b.o.networkPolicy(ns), metav1.CreateOptions{FieldManager: ManagedBy})
		if apierrors.IsAlreadyExists(err) {
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("network policy of %s: %w", ns, err)
	}
	b.mu.Lock()
	b.guarded[ns] = true
	b.mu.Unlock()
	return nil
}
