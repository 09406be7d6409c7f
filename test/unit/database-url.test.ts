// DATABASE_URL's one parser: where the credentials end, what is shown, what is encoded, and
// what the redactor is told. Hostile passwords carry LEAKY9 so a leak is easy to spot.
import { describe, expect, it } from 'vitest';
import { databaseUrlSecrets, encodeDatabaseUrl, maskDatabaseUrl, parseDatabaseUrl, podUnreachableProblem } from '../../src/config/database-url.js';
import { Redactor } from '../../src/redact.js';

describe('parseDatabaseUrl', () => {
  it('reads a valid URL, decoding user, password and database', () => {
    expect(parseDatabaseUrl('postgresql://to%40do:p%40ss%2FLEAKY9@[::1]:5433/my%20db?sslmode=require').url).toEqual({
      user: 'to@do',
      password: 'p@ss/LEAKY9',
      host: '[::1]',
      port: 5433,
      database: 'my db',
      masked: 'postgresql://to%40do:****@[::1]:5433/my%20db?sslmode=require',
    });
  });

  // Once the credentials hold no @ / ? #, the split at the last @ is where WHATWG's URL (and
  // libpq, which stops at the first @ or /) find the host too.
  it.each([
    'postgresql://app:S3cr3t-Pa55@db.example.com:5432/todo',
    'postgres://app:pa:ss:word@db.example.com/todo',
    'postgresql://app@db.example.com/todo',
    'postgresql://db.example.com:6543/todo?options=-c%20x%40y',
  ])('agrees with WHATWG URL on %s', (value) => {
    const url = new URL(value);
    expect(parseDatabaseUrl(value).url).toMatchObject({ user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), host: url.hostname });
  });

  it.each([
    ['mysql://root:LEAKY9xyz@db/todo', 'must be a postgres:// or postgresql:// URL'],
    ['postgresql://todo:p@ss/LEAKY9@db.example.internal:5432/todo', 'The URL is shown without them: postgresql://****@db.example.internal:5432/todo'],
    ['postgresql://todo:LEAKY9xyz/host/todo', 'is not a valid URL'],
    // The last @ is inside a password parameter: what follows it is no host, so nothing is shown.
    ['postgresql://todo@db.example.internal/todo?password=LEAKY9@ss', 'Percent-encode them in the user name and password'],
  ])('refuses %s without showing its password', (value, expected) => {
    const { problem } = parseDatabaseUrl(value);
    expect(problem).toContain(expected);
    expect(problem).not.toContain('LEAKY9');
    expect(problem).not.toMatch(/@ss\b/);
  });
});

describe('maskDatabaseUrl', () => {
  it.each([
    ['postgresql://app:S3cret@db.example.com:5432/todo', 'postgresql://app:****@db.example.com:5432/todo'],
    ['postgres://app:p%40ss@db/todo?sslmode=require', 'postgres://app:****@db/todo?sslmode=require'],
    ['postgresql://app@db/todo', 'postgresql://app@db/todo'],
    ['postgresql://localhost:5432/todo', 'postgresql://localhost:5432/todo'],
    ['postgresql://app@db/todo?sslmode=require&password=LEAKY9', 'postgresql://app@db/todo?sslmode=require&password=****'],
    // The summary once showed postgresql://todo:****@ss/LEAKY9@db…
    ['postgresql://todo:p@ss/LEAKY9@db.example.internal:5432/todo', 'postgresql://todo:****@db.example.internal:5432/todo'],
    ['postgresql://p@ss/LEAKY9@db.example.internal/todo', 'postgresql://****@db.example.internal/todo'],
    ['not a url', 'not a url'],
    ['mysql://root:LEAKY9@db/todo', 'mysql://root:****@db/todo'],
  ])('shows %j as %j', (value, shown) => {
    expect(maskDatabaseUrl(value)).toBe(shown);
  });

  it('while typing, with no @ yet, hides everything after a : (a / in the password does not end it)', () => {
    expect(maskDatabaseUrl('postgresql://app:S3/LEAKY9', true)).toBe('postgresql://app:*********');
  });

  it('while typing, hides the password of a URL with the wrong scheme too', () => {
    expect(maskDatabaseUrl('mysql://app:LEAKY9@db/todo', true)).toBe('mysql://app:******@db/todo');
  });
});

describe('encodeDatabaseUrl', () => {
  it.each([
    ['postgresql://todo:p@ss/LEAKY9@db.example.internal:5432/todo', 'postgresql://todo:p%40ss%2FLEAKY9@db.example.internal:5432/todo'],
    ['postgresql://todo:a#b?c:d%e%41@db/todo', 'postgresql://todo:a%23b%3Fc%3Ad%25e%41@db/todo'],
    ['postgresql://me@corp:Vq8rT2mZk4Lp@db/todo', 'postgresql://me%40corp:Vq8rT2mZk4Lp@db/todo'],
  ])('encodes %s as the user meant it', (value, encoded) => {
    expect(encodeDatabaseUrl(value)).toBe(encoded);
    const url = parseDatabaseUrl(encoded).url!;
    expect(`${url.user}:${url.password}`).toBe(value.slice(value.indexOf('//') + 2, value.lastIndexOf('@')).replace('%41', 'A'));
  });

  it('leaves a URL with nothing to encode alone', () => {
    expect(encodeDatabaseUrl('postgresql://app:S3cr3t-Pa55@db/todo')).toBeUndefined();
    expect(encodeDatabaseUrl('postgresql://db/todo')).toBeUndefined();
  });
});

describe('databaseUrlSecrets', () => {
  it('gives the redactor the password as written, decoded, and the pieces another parser would take', () => {
    const redactor = new Redactor();
    for (const secret of databaseUrlSecrets('postgresql://todo:Vq8rT2mZ@k4L/LEAKY9xyz@db.example.internal/todo')) redactor.add(secret);
    expect(redactor.scrub('user todo, password Vq8rT2mZ@k4L/LEAKY9xyz, host k4L, db LEAKY9xyz@db, Vq8rT2mZ')).toBe(
      'user todo, password ••••••, host k4L, db ••••••@db, ••••••',
    );
  });
});

describe('the redactor', () => {
  it('keeps no value too short or too common to mask', () => {
    const redactor = new Redactor();
    for (const value of ['todo', 'secret1', 'postgres', 'frontend']) redactor.add(value);
    expect(redactor.scrub('todo-frontend in namespace todo on postgres, secret1')).toBe('todo-frontend in namespace todo on postgres, secret1');
  });
});

describe('podUnreachableProblem: hosts that, inside a pod, are the pod itself', () => {
  const at = (host: string) => parseDatabaseUrl(`postgresql://u:p4ssw0rd-long@${host}:5432/todo`).url!;
  it.each(['localhost', 'LocalHost', 'db.localhost', '127.0.0.1', '127.1', '127.53.0.9', '0.0.0.0', '[::1]', '[0:0:0:0:0:0:0:1]', '[::]', '[::ffff:127.0.0.1]'])('%s: refused, with why and the fix', (host) => {
    const problem = podUnreachableProblem(at(host));
    expect(problem).toMatch(/^points at \S+, which inside a pod is the pod itself, not your machine, so the backend could not reach the database\. /);
    expect(problem).toContain('use host.minikube.internal instead');
  });

  it.each(['host.minikube.internal', 'host.docker.internal', 'db.example.com', '10.0.0.5', '128.0.0.1', 'localhost.example.com', '[::2]', '[2001:db8::1]'])('%s: a pod may reach it', (host) => {
    expect(podUnreachableProblem(at(host))).toBeUndefined();
  });
});
