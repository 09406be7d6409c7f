// `node --import ./bench/register.mjs bench/bench.ts`: runs the bench's TypeScript in place (see ts-loader.mjs).
import { register } from 'node:module';

register('./ts-loader.mjs', import.meta.url);
