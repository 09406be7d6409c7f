// k3d v5.8: `k3d image import IMAGE… [--cluster NAME]…` copies images from the user's Docker
// daemon into the server and agent nodes of each cluster (the one whose kube-context is
// `k3d-<NAME>`), where the kubelet finds them for imagePullPolicy IfNotPresent/Never.
//
// Texts from k3d's source: cmd/image/imageImport.go (`Importing image(s) into cluster '%s'`,
// `Failed to import image(s) into cluster '%s': %+v`, `At least one error occured while trying to
// import the image(s) into the selected cluster(s)` then exit 1, `Successfully imported %d
// image(s) into %d cluster(s)`; an unknown cluster is fatal before anything: `failed to get
// cluster %s: %v` with pkg/client/cluster.go's `No nodes found for given cluster`);
// pkg/client/tools.go ImageImportIntoClusterMulti in the default `tools` mode (an image neither a
// file nor in the runtime is only warned about: `Image '%s' is not a file and couldn't be found in
// the container runtime`; none found is `no valid images specified`; the tools node's steps).
// cmd/root.go: logrus with TextFormatter{ForceColors: true}, info to stdout, warnings and errors
// to stderr; logrus prints a coloured, 4-letter level, the seconds since start, and the message
// padded to 44 characters followed by a space.
import { hostImage, importImages, localCluster, nodeNames } from './local-images.mjs';

export const globals = {
  verbose: 'bool',
  trace: 'bool',
  timestamps: 'bool',
};

const COLOR = { INFO: 36, WARN: 33, ERRO: 31, FATA: 31 };

/** One logrus line as k3d prints it (TextFormatter, ForceColors, no full timestamp). */
function logLine(level, seconds, message) {
  return `\x1b[${COLOR[level]}m${level}\x1b[0m[${String(seconds).padStart(4, '0')}] ${message.padEnd(44)} \n`;
}

/** `20060102150405`, the tarball's time stamp. */
function stamp() {
  return new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

const imageImport = {
  flags: { 'c|cluster': 'list', 'k|keep-tarball': 'bool', 't|keep-tools': 'bool', 'm|mode': 'value' },
  mutating: true,
  run(call, args, state) {
    const images = args.positionals;
    // cobra.MinimumNArgs(1).
    if (images.length === 0) call.fail(1, `Error: requires at least 1 arg(s), only received 0`);
    const mode = args.flags.mode ?? 'tools-node';
    if (!['auto', 'direct', 'tools-node'].includes(mode)) call.fail(1, logLine('FATA', 0, `Unknown image loading mode '${mode}'`));
    if (mode === 'direct' || mode === 'auto') call.unexpected(`k3d image import --mode ${mode} is not simulated`);
    const clusters = args.flags.cluster ?? ['k3s-default'];
    for (const name of clusters) {
      if (!localCluster(state, `k3d-${name}`)) call.fail(1, logLine('FATA', 0, `failed to get cluster ${name}: No nodes found for given cluster`));
    }
    let failed = false;
    for (const name of clusters) {
      call.out(logLine('INFO', 0, `Importing image(s) into cluster '${name}'`));
      const found = images.filter((image) => hostImage(state, image));
      for (const image of images) if (!found.includes(image)) call.err(logLine('WARN', 0, `Image '${image}' is not a file and couldn't be found in the container runtime`));
      if (found.length === 0) {
        call.err(logLine('ERRO', 0, `Failed to import image(s) into cluster '${name}': no valid images specified`));
        failed = true;
        continue;
      }
      const { cluster } = localCluster(state, `k3d-${name}`);
      const tarball = `/k3d/images/k3d-${name}-images-${stamp()}.tar`;
      call.out(logLine('INFO', 0, 'Starting new tools node...'));
      call.out(logLine('INFO', 0, `Saving ${found.length} image(s) from runtime...`));
      call.out(logLine('INFO', 1, 'Importing images into nodes...'));
      for (const node of nodeNames(cluster, `k3d-${name}-server-0`)) call.out(logLine('INFO', 1, `Importing images from tarball '${tarball}' into node '${node}'...`));
      importImages(call, `k3d-${name}`, found);
      if (!args.flags['keep-tarball']) call.out(logLine('INFO', 2, 'Removing the tarball(s) from image volume...'));
      if (!args.flags['keep-tools']) call.out(logLine('INFO', 2, 'Removing k3d-tools node...'));
      call.out(logLine('INFO', 2, 'Successfully imported image(s)'));
    }
    if (failed) call.fail(1, logLine('WARN', 2, 'At least one error occured while trying to import the image(s) into the selected cluster(s)'));
    call.out(logLine('INFO', 2, `Successfully imported ${images.length} image(s) into ${clusters.length} cluster(s)`));
  },
};

export const commands = {
  version: {
    flags: {},
    run(call, args, state) {
      call.out(`k3d version ${state.tools.k3d.version}\nk3s version ${state.tools.k3d.k3sVersion} (default)\n`);
    },
  },
  'image import': imageImport,
  'image load': imageImport,
  'images import': imageImport,
  'images load': imageImport,
};
