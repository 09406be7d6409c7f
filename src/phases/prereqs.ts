import { readPrereqs } from '../checks/prereqs.js';
import type { Context } from '../context.js';
import { PrereqError } from '../errors.js';
import { parseVersion } from '../tools/version.js';
import { upStep, type UpInputs } from './results.js';

export const prereqsPhase = (ctx: Context, { config }: UpInputs) =>
  upStep({
    id: 'prereqs',
    title: 'Check prerequisites',
    needs: [],
    async run() {
      const { checks, cluster } = await readPrereqs(ctx.exec, config);
      for (const check of checks.filter((c) => c.status === 'warn' && c.id !== 'minikube-profile')) ctx.out.warn(`${check.title}: ${check.detail}. ${check.hint ?? ''}`);
      const failed = checks.filter((c) => c.status === 'fail');
      if (failed.length > 0) {
        throw new PrereqError(
          `Missing or unreachable: ${failed.map((c) => `${c.title} (${c.detail})`).join('; ')}.`,
          failed.map((c) => c.hint).filter(Boolean).join(' '),
        );
      }
      const helm = parseVersion(checks.find((c) => c.id === 'helm')?.version);
      const docker = parseVersion(checks.find((c) => c.id === 'docker')?.version);
      return {
        helmMajor: helm?.major === 3 ? 3 : 4,
        ...(docker && { dockerMajor: docker.major }),
        cluster,
        detail: checks.filter((c) => c.version).map((c) => `${c.title} ${c.version}`).join(', '),
      };
    },
    detail: (result) => result.detail,
  });
