// One adapter per tool: the only modules that call the exec seam with a tool's name.
import type { Exec } from '../tools/exec.js';
import { dockerAdapter, type Docker } from './docker.js';
import { gitAdapter, type Git } from './git.js';
import { helmAdapter, type Helm } from './helm.js';
import { k3dAdapter, type K3d } from './k3d.js';
import { kindAdapter, type Kind } from './kind.js';
import { kubectlAdapter, type Kubectl } from './kubectl.js';
import { minikubeAdapter, type Minikube } from './minikube.js';

export interface Tools {
  docker: Docker;
  git: Git;
  helm: Helm;
  kubectl: Kubectl;
  minikube: Minikube;
  /** The cluster target's local clusters, which take images without a registry. */
  kind: Kind;
  k3d: K3d;
}

export function toolsOf(exec: Exec): Tools {
  return { docker: dockerAdapter(exec), git: gitAdapter(exec), helm: helmAdapter(exec), kubectl: kubectlAdapter(exec), minikube: minikubeAdapter(exec), kind: kindAdapter(exec), k3d: k3dAdapter(exec) };
}
