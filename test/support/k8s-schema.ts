// Validates rendered manifests against the Kubernetes API's OpenAPI schema, through
// kubernetes-models (models generated from the upstream OpenAPI spec, Kubernetes 1.33, with
// ajv validators compiled from it): types, required fields, enums and formats.
// Limit: like the OpenAPI spec it comes from, it does not reject unknown fields; the pod
// security checks read the exact field names that matter, so a misspelt one fails there.
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { Manifest } from './helm.js';

// Every kind the charts render. A kind missing here fails the test instead of going unchecked.
const models: Record<string, new (data: any) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/Namespace': Namespace,
  'v1/Pod': Pod,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
};

/** The schema errors of one manifest, or [] when it is valid. */
export function schemaErrors(manifest: Manifest): string[] {
  const key = `${manifest.apiVersion}/${manifest.kind}`;
  const Model = models[key];
  if (!Model) return [`no schema for ${key}: add its kubernetes-models class to test/support/k8s-schema.ts`];
  try {
    new Model(manifest).validate();
    return [];
  } catch (e) {
    return [(e as Error).message];
  }
}
