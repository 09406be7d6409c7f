// One adapter per tool: the only modules that call the exec seam with a tool's name.
import type { Exec } from '../tools/exec.js';
import { dockerAdapter, type Docker } from './docker.js';
import { gitAdapter, type Git } from './git.js';
import { helmAdapter, type Helm } from './helm.js';
import { kubectlAdapter, type Kubectl } from './kubectl.js';
import { minikubeAdapter, type Minikube } from './minikube.js';

export interface Tools {
  docker: Docker;
  git: Git;
  helm: Helm;
  kubectl: Kubectl;
  minikube: Minikube;
}

export function toolsOf(exec: Exec): Tools {
  return { docker: dockerAdapter(exec), git: gitAdapter(exec), helm: helmAdapter(exec), kubectl: kubectlAdapter(exec), minikube: minikubeAdapter(exec) };
}
