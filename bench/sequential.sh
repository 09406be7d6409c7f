#!/usr/bin/env bash
# The baseline: what the original deployment guide has a person type, one command after the
# other, against the same simulated tools as `todo-deploy up` (bench.ts runs it with the
# simulator's PATH and sets REPO, APP, NODE, FRONTEND_PORT and BACKEND_PORT).
set -euo pipefail

minikube start -p minikube --driver docker --container-runtime docker --cpus 2 --memory 3g
eval "$(minikube -p minikube docker-env)"

docker build -t todo-frontend:v1 -f "$REPO/Dockerfiles/frontend.Dockerfile" \
  --build-arg "NEXT_PUBLIC_BACKEND_URL=http://localhost:$BACKEND_PORT" "$APP/frontend"
docker build -t todo-backend:v1 -f "$REPO/Dockerfiles/backend.Dockerfile" "$APP/backend"

kubectl --context minikube create namespace todo
kubectl --context minikube -n todo create secret generic frontend-secrets --from-env-file="$APP/frontend-secrets.env"
kubectl --context minikube -n todo create secret generic backend-secrets --from-env-file="$APP/backend-secrets.env"

helm upgrade --install frontend "$REPO/charts/frontend" -n todo --kube-context minikube --wait --timeout 5m \
  --set image.tag=v1 --set service.nodePort="$FRONTEND_PORT" --set backendUrl="http://localhost:$BACKEND_PORT"
helm upgrade --install backend "$REPO/charts/backend" -n todo --kube-context minikube --wait --timeout 5m \
  --set image.tag=v1 --set service.nodePort="$BACKEND_PORT"

kubectl --context minikube -n todo rollout status deployment/frontend --timeout=5m
kubectl --context minikube -n todo rollout status deployment/backend --timeout=5m

# curl, in the guide; the simulator's PATH has no curl, so node's fetch stands in.
for port in "$FRONTEND_PORT" "$BACKEND_PORT"; do
  "$NODE" -e "fetch('http://localhost:$port/api/health').then((r) => process.exit(r.ok ? 0 : 1))"
done
