// The namespace todo-deploy creates when it is missing: labelled as ours, and — the charts meet
// the restricted Pod Security Standard — enforcing it. A namespace that exists is never touched.

export const managedLabels = { 'app.kubernetes.io/managed-by': 'todo-deploy', 'app.kubernetes.io/part-of': 'todo-chatbot' };

export function namespaceManifest(name: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: { ...managedLabels, 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' },
    },
  };
}
