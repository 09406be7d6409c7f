// Where to get each tool; shown when it is missing from PATH or too old.
export const installHints: Record<string, string> = {
  docker: 'Install Docker Desktop (macOS/Windows) or Docker Engine (Linux): https://docs.docker.com/get-docker/',
  minikube: 'Install minikube: https://minikube.sigs.k8s.io/docs/start/',
  helm: 'Install Helm 3.12+ or 4: https://helm.sh/docs/intro/install/',
  kubectl: 'Install kubectl: https://kubernetes.io/docs/tasks/tools/ (or use `minikube kubectl --`)',
  git: 'Install git: https://git-scm.com/downloads',
};
