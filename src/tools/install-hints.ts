// Where to get each tool; shown when it is missing from PATH or too old.
export const installHints: Record<string, string> = {
  docker: 'Install Docker Desktop (macOS/Windows) or Docker Engine (Linux): https://docs.docker.com/get-docker/',
  minikube: 'Install minikube: https://minikube.sigs.k8s.io/docs/start/',
  helm: 'Install Helm 3.12+ or 4: https://helm.sh/docs/intro/install/',
  kubectl: 'Install kubectl: https://kubernetes.io/docs/tasks/tools/ (or use `minikube kubectl --`)',
  kind: 'Install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation), or pass --registry to push the images instead of loading them.',
  k3d: 'Install k3d (https://k3d.io/#installation), or pass --registry to push the images instead of loading them.',
  git: 'Install git: https://git-scm.com/downloads',
};
