import { describe, expect, it } from 'vitest';
import { deepMerge } from '../../src/phases/deploy.js';
import { secretChecksum, secretData } from '../../src/phases/secrets.js';

const secrets = {
  BETTER_AUTH_SECRET: 'a'.repeat(32),
  DATABASE_URL: 'postgresql://u:p@db/todo',
  OPENAI_API_KEY: 'sk-test-123',
  BETTER_AUTH_URL: 'http://localhost:30000',
};
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('secret content', () => {
  it('gives each service exactly the keys its chart reads', () => {
    expect(secretData(secrets, 'frontend')).toEqual({ 'auth-secret': b64(secrets.BETTER_AUTH_SECRET) });
    expect(Object.keys(secretData(secrets, 'backend')).sort()).toEqual(['auth-secret', 'auth-url', 'database-url', 'openai-api-key']);
  });

  it('changes only the checksum of the service that reads a changed value', () => {
    const before = { frontend: secretChecksum(secretData(secrets, 'frontend')), backend: secretChecksum(secretData(secrets, 'backend')) };
    const changed = { ...secrets, DATABASE_URL: 'postgresql://u:p@db2/todo' };
    expect(secretChecksum(secretData(changed, 'frontend'))).toBe(before.frontend);
    expect(secretChecksum(secretData(changed, 'backend'))).not.toBe(before.backend);
  });

  it('does not depend on key order', () => {
    expect(secretChecksum({ a: '1', b: '2' })).toBe(secretChecksum({ b: '2', a: '1' }));
  });
});

describe('deepMerge (Helm coalescing of values files)', () => {
  it('merges mappings and replaces everything else', () => {
    expect(deepMerge({ image: { repository: 'r', tag: 't' }, replicaCount: 2, list: [1, 2] }, { image: { tag: 'u' }, list: [3], extra: true })).toEqual({
      image: { repository: 'r', tag: 'u' },
      replicaCount: 2,
      list: [3],
      extra: true,
    });
  });
});
