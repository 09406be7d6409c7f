// `node --import ./loaded-modules.mjs …`: prints `loaded <url>` on stderr for every module the
// process loads through the ESM loader (packages imported from ESM included), so a test can see
// what a command pays for at start-up.
import { register } from 'node:module';

const hooks = `export async function load(url, context, next) {
  process.stderr.write('loaded ' + url + '\\n');
  return next(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
