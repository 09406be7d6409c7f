import { readPrereqs } from '../checks/prereqs.js';
import type { Context } from '../context.js';
import { PrereqError } from '../errors.js';
import type { Phase } from '../pipeline/runner.js';
import { parseVersion } from '../tools/version.js';
import type { UpState } from './state.js';

export function prereqsPhase(ctx: Context): Phase<UpState> {
  return {
    id: 'prereqs',
    title: 'Check prerequisites',
    async run(state) {
      const { checks, cluster } = await readPrereqs(ctx.exec, state.config);
      state.cluster = cluster;
      for (const check of checks.filter((c) => c.status === 'warn' && c.id !== 'minikube-profile')) ctx.out.warn(`${check.title}: ${check.detail}. ${check.hint ?? ''}`);
      const failed = checks.filter((c) => c.status === 'fail');
      if (failed.length > 0) {
        throw new PrereqError(
          `Missing or unreachable: ${failed.map((c) => `${c.title} (${c.detail})`).join('; ')}.`,
          failed.map((c) => c.hint).filter(Boolean).join(' '),
        );
      }
      const helm = parseVersion(checks.find((c) => c.id === 'helm')?.version);
      state.helmMajor = helm?.major === 3 ? 3 : 4;
      return checks.filter((c) => c.version).map((c) => `${c.title} ${c.version}`).join(', ');
    },
  };
}
