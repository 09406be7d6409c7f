// The two Secrets the charts read, and which .env key each of their keys comes from.
import type { Secrets } from '../config/env-file.js';
import type { Service } from '../config/schema.js';

export const secretNames: Record<Service, string> = { frontend: 'frontend-secrets', backend: 'backend-secrets' };

/** The keys of each Secret, by the .env key they come from (the charts read these names). */
export const secretKeysOf: Record<Service, Partial<Record<keyof Secrets, string>>> = {
  frontend: { BETTER_AUTH_SECRET: 'auth-secret' },
  backend: { DATABASE_URL: 'database-url', OPENAI_API_KEY: 'openai-api-key', BETTER_AUTH_SECRET: 'auth-secret', BETTER_AUTH_URL: 'auth-url' },
};
