// kind v0.29: `kind load docker-image IMAGE… [--name CLUSTER]` copies images from the user's
// Docker daemon into every node of the kind cluster (the one whose kube-context is
// `kind-<CLUSTER>`), where the kubelet finds them for imagePullPolicy IfNotPresent/Never.
//
// Texts from kind's source (pkg/cmd/kind/load/docker-image/docker-image.go): each image is looked
// up first (`docker image inspect -f {{ .Id }}`), the first missing one ends the call with
// `image: "<name>" not present locally`; a cluster without nodes `no nodes found for cluster
// "<name>"`; per image and node `Image: "<name>" with ID "<id>" not yet present on node "<node>",
// loading...`, or, while no node needed anything yet, `Image: "<name>" with ID "<id>" found to be
// already present on all nodes.` (once one image needs loading, every image is saved and loaded:
// the source keeps one list of nodes across the images). Errors are printed by the root command's
// logError as `ERROR: <error>` (cmd/kind/app/main.go, no colour off a terminal), exit 1; the
// logger writes to stderr.
import { normalizeRef } from './images.mjs';
import { hostImage, importImages, localCluster, nodeNames } from './local-images.mjs';

export const globals = {
  'v|verbosity': 'value',
  'q|quiet': 'bool',
  loglevel: 'value',
};

export const commands = {
  version: {
    flags: {},
    run(call, args, state) {
      call.out(`kind ${state.tools.kind.version} go1.24.2 linux/amd64\n`);
    },
  },
  'load docker-image': {
    // --nodes is not simulated (the image store is the cluster's, not each node's): 97.
    flags: { name: 'value' },
    mutating: true,
    run(call, args, state) {
      const images = args.positionals;
      if (images.length === 0) call.fail(1, 'ERROR: a list of image names is required');
      // cli.OverrideDefaultName: KIND_CLUSTER_NAME replaces the default name "kind".
      const name = args.flags.name ?? call.env.KIND_CLUSTER_NAME ?? 'kind';
      const ids = images.map((image) => {
        const found = hostImage(state, image);
        if (!found) call.fail(1, `ERROR: image: "${image}" not present locally`);
        return found.id;
      });
      const found = localCluster(state, `kind-${name}`);
      if (!found) call.fail(1, `ERROR: no nodes found for cluster "${name}"`);
      const nodes = nodeNames(found.cluster, `${name}-control-plane`);
      const store = found.cluster.images ?? {};
      const lines = [];
      let selected = 0;
      images.forEach((image, i) => {
        const present = store[normalizeRef(image)]?.id === ids[i];
        for (const node of nodes) {
          if (!present) {
            selected++;
            lines.push(`Image: "${image}" with ID "${ids[i]}" not yet present on node "${node}", loading...`);
          }
        }
        if (selected === 0) lines.push(`Image: "${image}" with ID "${ids[i]}" found to be already present on all nodes.`);
      });
      call.err(lines.map((l) => `${l}\n`).join(''));
      if (selected > 0) importImages(call, `kind-${name}`, images);
    },
  },
};
