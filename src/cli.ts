// The CLI entry: declares the commands (each lazily imported, so --help and --version stay
// fast), builds the context, and is the one place that maps errors to exit codes and Ctrl-C
// to an aborted run.
import { Argument, Command, CommanderError, Option } from 'commander';
import { packageVersion } from './assets.js';
import type { Context, GlobalOptions, Io } from './context.js';
import { services } from './config/schema.js';
import { CancelledError, TodoDeployError, type ErrorKind } from './errors.js';

export const exitCodes: Record<ErrorKind, number> = { operation: 1, usage: 2, config: 2, prereq: 3, cancelled: 130 };

const examples = `
Examples:
  $ todo-deploy up                     build, deploy and verify; prints the URLs
  $ todo-deploy up --dry-run           show every command that would change something
  $ todo-deploy setup                  the guided set-up: asks, then writes .env and todo-deploy.yaml
  $ todo-deploy setup --yes --generate-auth-secret --database-url-file db.url --openai-api-key-file - < key.txt
                                       the same without a terminal: every question has a flag
  $ todo-deploy doctor                 check tools, cluster, todo-deploy.yaml and .env
  $ todo-deploy doctor --json          the same report as one JSON document
  $ todo-deploy --app-dir ~/todo doctor
  $ todo-deploy verify --resilience --report verify.xml
                                       check everything, kill the backend pod, measure; JUnit for CI
  $ todo-deploy status                 releases, pods and URLs at a glance
  $ todo-deploy logs backend --follow  stream the backend's pods
  $ todo-deploy rollback backend       back to the last good revision, verified
  $ todo-deploy teardown --cluster stop
                                       uninstall, delete the secrets, stop Minikube (asks first)
  $ todo-deploy ci                     write a GitHub Actions workflow that deploys and verifies on every push

Exit codes: 0 success, 1 operation failed, 2 invalid usage or input, 3 prerequisite missing, 130 interrupted.
Settings: flags > TODO_DEPLOY_* variables > todo-deploy.yaml > defaults.`;

type CommandRunner = (ctx: Context) => Promise<void>;

export async function main(argv: readonly string[], io: Partial<Io> = {}): Promise<number> {
  const controller = new AbortController();
  const fullIo: Io = {
    cwd: process.cwd(),
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    signal: controller.signal,
    ...io,
  };
  let exitCode = 0;
  const onSigint = () => {
    // A second Ctrl-C means "now": leave without waiting for children to wind down.
    if (controller.signal.aborted) process.exit(exitCodes.cancelled);
    controller.abort(new CancelledError());
  };
  process.on('SIGINT', onSigint);

  /** An action that lazily imports its command module; `load` gets the command's own options. */
  const run =
    <O>(name: string, load: (opts: O) => Promise<CommandRunner>) =>
    async (opts: O, command: Command) => {
      exitCode = await runCommand(name, command.optsWithGlobals<GlobalOptions>(), fullIo, () => load(opts));
    };

  const program = new Command('todo-deploy')
    .description('Deploy the Todo Chatbot (Next.js + FastAPI) to local Kubernetes with one command, verified, and back again.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .addOption(new Option('--app-dir <dir>', "the app's repository root").env('TODO_DEPLOY_APP_DIR').default(undefined, 'the current directory'))
    .addOption(new Option('--config <file>', 'configuration file, relative to --app-dir').env('TODO_DEPLOY_CONFIG').default(undefined, 'todo-deploy.yaml'))
    .addOption(new Option('--env-file <file>', 'secrets file, relative to --app-dir').env('TODO_DEPLOY_ENV_FILE').default(undefined, '.env'))
    .option('--namespace <name>', 'Kubernetes namespace (default: todo)')
    .option('--profile <name>', 'Minikube profile (default: minikube)')
    .option('--target <target>', 'minikube (default) or cluster: an existing kube-context (--context), images pushed to a registry (--registry)')
    .option('--context <name>', 'the kube-context of the cluster target (never the current one by default)')
    .option('--registry <registry>', 'for the cluster target: where images are pushed, e.g. ghcr.io/acme/todo')
    .option('-y, --yes', 'answer yes to every confirmation')
    .option('--json', 'print one JSON document on stdout; human output goes to stderr')
    .option('--verbose', 'log every external command with its duration')
    .option('--no-color', 'no colour (NO_COLOR is honoured too)')
    .addHelpText('after', examples)
    .showHelpAfterError('(run todo-deploy --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => fullIo.stdout.write(s), writeErr: (s) => fullIo.stderr.write(withoutOptionValues(s)) });

  program
    .command('up')
    .description('build, deploy and verify the whole app on Minikube; a re-run on an unchanged app changes nothing')
    .option('--dry-run', 'print every command that would change something (secrets redacted) and change nothing')
    .option('--skip-build', 'deploy the images already built for the current content')
    .option('--platform <os/arch>', "for the cluster target: build for this platform (default: the nodes')")
    .option('--no-wait-for-lock', 'fail at once, instead of waiting, while another run deploys to the same profile and namespace')
    .action(
      run('up', async (opts: import('./commands/up.js').UpOptions) => {
        const { up } = await import('./commands/up.js');
        return (ctx) => up(ctx, opts);
      }),
    );

  program
    .command('setup')
    .description('the guided set-up: asks for each value (checked as `up` checks it), writes .env (mode 600) and todo-deploy.yaml, keeps .env out of git, offers to run `up`')
    .option('--frontend-dir <dir>', 'the Next.js app folder, relative to --app-dir (default: detected)')
    .option('--backend-dir <dir>', 'the FastAPI app folder, relative to --app-dir (default: detected)')
    .option('--database <where>', 'in-cluster: todo-deploy runs PostgreSQL in the cluster (the default without a URL); external: your database, at --database-url-file')
    .option('--database-url-file <file>', 'read DATABASE_URL from a file, or - for stdin')
    .option('--database-url <url>', 'DATABASE_URL itself (its password lands in your shell history: prefer --database-url-file)')
    .option('--no-check-database', "don't check that the database's host and port answer")
    .option('--openai-api-key-file <file>', 'read OPENAI_API_KEY from a file, or - for stdin')
    .option('--openai-api-key <key>', 'OPENAI_API_KEY itself (lands in your shell history: prefer --openai-api-key-file)')
    .option('--generate-auth-secret', 'a new random BETTER_AUTH_SECRET (32 bytes)')
    .option('--better-auth-secret-file <file>', 'read BETTER_AUTH_SECRET from a file, or - for stdin')
    .option('--better-auth-url <url>', "BETTER_AUTH_URL, where users open the app (default: the frontend's URL)")
    .option('--cpus <n>', 'CPUs for Minikube (default: 2)')
    .option('--memory <size>', 'memory for Minikube, e.g. 3g or 4096mb (default: 3g)')
    .option('--up', 'run `todo-deploy up` once the files are written')
    .option('--no-up', "don't offer to run `up`")
    .addHelpText(
      'after',
      `
Without a flag, a question's default is the value already in .env or todo-deploy.yaml, or the
detected app folder, or the spec's default. With no terminal (or --json), setup never asks:
it needs --yes and a flag for each answer that has no default, and names the missing ones.
The global --namespace and --profile are written to todo-deploy.yaml too.`,
    )
    .action(
      run('setup', async (opts: import('./commands/setup.js').SetupOptions) => {
        const { setup } = await import('./commands/setup.js');
        return (ctx) => setup(ctx, opts);
      }),
    );

  program
    .command('doctor')
    .description('run every read-only check `up` would make, in one report; changes nothing')
    .action(run('doctor', async () => (await import('./commands/doctor.js')).doctor));

  program
    .command('verify')
    .description('prove the running deployment healthy: releases, rollouts, pods, both health endpoints at the URLs you use, helm tests')
    .option('--resilience', "then delete the backend's pods, wait for their replacement, measure the outage and verify again")
    .option('--report <file>', 'write the checks to FILE: JSON (.json) or JUnit XML (.xml), for CI')
    .action(
      run('verify', async (opts: import('./commands/verify.js').VerifyOptions) => {
        const { verify } = await import('./commands/verify.js');
        return (ctx) => verify(ctx, opts);
      }),
    );

  program
    .command('status')
    .description('the cluster, each release, its deployment and pods, and the URLs, at a glance')
    .action(run('status', async () => (await import('./commands/status.js')).status));

  program
    .command('open')
    .description("serve the app's URLs on this machine: on the cluster target, port-forwards to the Services until Ctrl-C")
    .action(run('open', async () => (await import('./commands/open.js')).open));

  program
    .command('logs')
    .description("recent log lines of the service's pods (every service when none is named), each prefixed with its pod")
    .addArgument(new Argument('[service]', 'frontend, backend, or database (the in-cluster PostgreSQL)').choices([...services, 'database']))
    .option('-f, --follow', 'keep streaming new lines until Ctrl-C')
    .option('--since <duration>', 'only lines newer than this, e.g. 10m or 1h30m')
    .option('-p, --previous', 'the lines of the previous (crashed) container')
    .option('--tail <lines>', 'lines per container', '100')
    .action(async (service: string | undefined, opts: import('./commands/logs.js').LogsOptions, command: Command) =>
      run('logs', async () => {
        const { logs } = await import('./commands/logs.js');
        return (ctx) => logs(ctx, service, opts);
      })(opts, command),
    );

  program
    .command('rollback')
    .description('roll a release (both when none is named) back to its previous good revision, or --to N, then verify it')
    .addArgument(new Argument('[service]', 'frontend or backend').choices([...services]))
    .option('--to <revision>', 'the revision to go back to (see `helm history`, or the error that lists them)')
    .option('--dry-run', 'print the rollback commands and change nothing')
    .option('--no-wait-for-lock', 'fail at once, instead of waiting, while another run deploys to the same profile and namespace')
    .action(async (service: string | undefined, opts: import('./commands/rollback.js').RollbackOptions, command: Command) =>
      run('rollback', async () => {
        const { rollback } = await import('./commands/rollback.js');
        return (ctx) => rollback(ctx, service, opts);
      })(opts, command),
    );

  program
    .command('teardown')
    .description("uninstall the releases and delete the app's secrets; keep, stop or delete the Minikube profile; the in-cluster database's data is kept unless --purge-data; asks first unless --yes")
    .addOption(new Option('--cluster <action>', 'what happens to the Minikube profile').choices(['keep', 'stop', 'delete']).default('keep'))
    .option('--purge-data', "also delete the in-cluster database's volume and password: its data is gone for good")
    .option('--dry-run', 'list what would be removed and the commands, and change nothing')
    .option('--no-wait-for-lock', 'fail at once, instead of waiting, while another run deploys to the same profile and namespace')
    .action(
      run('teardown', async (opts: import('./commands/teardown.js').TeardownOptions) => {
        const { teardown } = await import('./commands/teardown.js');
        return (ctx) => teardown(ctx, opts);
      }),
    );

  program
    .command('ci')
    .description('write a GitHub Actions workflow into the app: a throwaway Minikube, `up`, `verify --resilience` with its report published, diagnostics on failure')
    .option('--output <file>', 'where to write the workflow, relative to --app-dir (default: .github/workflows/todo-deploy.yml)')
    .option('--force', 'replace the workflow file if it exists')
    .option('--dry-run', 'print the workflow and write nothing')
    .action(
      run('ci', async (opts: import('./commands/ci.js').CiOptions) => {
        const { ci } = await import('./commands/ci.js');
        return (ctx) => ci(ctx, opts);
      }),
    );

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // --help and --version end here too, with exit code 0; usage mistakes are exit code 2.
    exitCode = error.exitCode === 0 ? 0 : exitCodes.usage;
    // Commander stopped before any command ran, so no output port exists to write the document.
    if (exitCode !== 0 && argv.includes('--json')) {
      const command = argv.find((arg) => program.commands.some((c) => c.name() === arg)) ?? null;
      const message = withoutOptionValues(error.message.replace(/^error: /, ''));
      const error_ = { kind: 'usage', message, hint: 'Run todo-deploy --help for usage.' };
      fullIo.stdout.write(`${JSON.stringify({ command, ok: false, error: error_ }, null, 2)}\n`);
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  return exitCode;
}

async function runCommand(name: string, options: GlobalOptions, io: Io, load: () => Promise<CommandRunner>): Promise<number> {
  const { createContext } = await import('./context.js');
  const { errorDocument, renderError } = await import('./ui/error-block.js');
  let ctx: Context | undefined;
  try {
    ctx = await createContext(options, io);
    await (await load())(ctx);
    ctx.out.finish({ command: name, ok: true });
    return 0;
  } catch (caught) {
    const error = io.signal.aborted && !(caught instanceof CancelledError) ? new CancelledError() : caught;
    if (!(error instanceof TodoDeployError)) {
      io.stderr.write(`✖ todo-deploy failed unexpectedly: ${ctx ? ctx.redactor.scrub(String(error)) : 'see below'}\n`);
      if (options.verbose && error instanceof Error) io.stderr.write(`${ctx ? ctx.redactor.scrub(error.stack ?? '') : ''}\n`);
      ctx?.out.finish({ command: name, ok: false, error: { kind: 'internal', message: ctx.redactor.scrub(String(error)) } });
      return 1;
    }
    const { Chalk } = await import('chalk');
    const style = ctx?.out.style ?? new Chalk({ level: 0 });
    io.stderr.write(`${ctx ? ctx.redactor.scrub(renderError(error, style)) : renderError(error, style)}\n`);
    if (ctx) ctx.out.finish({ command: name, ok: false, error: errorDocument(error) });
    else if (options.json) io.stdout.write(`${JSON.stringify({ command: name, ok: false, error: errorDocument(error) }, null, 2)}\n`);
    return exitCodes[error.kind];
  }
}

/** Commander repeats a mistyped option whole (`--databse-url=postgresql://…`): its value, which may be a secret, is left out. */
function withoutOptionValues(text: string): string {
  return text.replace(/'(--[^=']+)=[^']*'/g, "'$1=…'");
}
