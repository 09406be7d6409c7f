// When a secret is too weak to keep. Two reasons, one rule: a short or common value is easy to
// guess, and it cannot be hidden from the tool's output either — the redactor replaces every
// occurrence of a secret, so a password `todo` would mask the namespace, the release names and
// every URL. The redactor uses the same rule to decide what it may mask, so whatever it leaves
// alone, validation has refused.

/**
 * The shortest secret the tool accepts and masks. 8 is NIST SP 800-63B's floor for a
 * user-chosen password, and at 8 characters a random value practically never occurs by
 * chance in a namespace, an image tag or a URL the tool prints.
 */
export const MIN_SECRET_LENGTH = 8;

// Passwords from the top of every leaked-password list, and words this tool and its app print
// themselves (as a secret, each would mask part of every status line). Only 8+ characters
// matter: shorter ones fail the length rule first.
const commonWords = new Set([
  'password', 'password1', 'passw0rd', 'p@ssw0rd', 'changeme', 'iloveyou', 'sunshine', 'princess', 'football',
  'baseball', 'superman', 'trustno1', 'qwertyuiop', 'qwerty123', 'administrator', 'admin123', 'secret123',
  '12345678', '123456789', '1234567890', '87654321', 'abcdefgh', 'abc12345',
  'postgres', 'postgresql', 'database', 'localhost', 'frontend', 'minikube', 'kubernetes', 'namespace', 'todo-deploy',
  'todo-frontend', 'todo-backend', 'todo-chatbot', 'neondb_owner',
]);

/** Whether a value is one the redactor can mask without masking ordinary words. */
export function isRedactable(value: string): boolean {
  return value.length >= MIN_SECRET_LENGTH && !commonWords.has(value.toLowerCase());
}

/**
 * Why a value has too little variety to be a secret: a handful of distinct characters
 * (`aaaaaaaa`, `abababab12`), or a short pattern repeated (`passwordpassword…`, `1234567890…`).
 */
export function lowVariety(value: string): string | undefined {
  if (new Set(value).size < 5) return 'it uses fewer than 5 different characters';
  for (let period = 1; period <= value.length / 2; period++) {
    if (value.slice(period) === value.slice(0, value.length - period)) return 'it repeats a short pattern';
  }
  return undefined;
}

/**
 * Why a database password is weak, as a phrase ("is shorter than 8 characters"), or
 * undefined. Never says more about the password than the rule it breaks.
 */
export function weakPassword(password: string, names: { user?: string; database?: string }): string | undefined {
  if (password.length < MIN_SECRET_LENGTH) return `is shorter than ${MIN_SECRET_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (names.user && lower === names.user.toLowerCase()) return 'is the user name';
  if (names.database && lower === names.database.toLowerCase()) return 'is the database name';
  if (commonWords.has(lower)) return 'is a common password';
  const variety = lowVariety(password);
  return variety && `is too simple: ${variety}`;
}
