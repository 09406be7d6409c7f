// Keeping .env out of git. git itself answers best (global excludes, nested .gitignore files,
// negations); without git, or outside a repository, the folder's own .gitignore is read.

/** Whether a .gitignore in the file's own folder ignores `name` (a plain file name). */
export function gitignoreCovers(text: string, name: string): boolean {
  let ignored = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(?<!\\)\s+$/, '');
    if (line === '' || line.startsWith('#')) continue;
    const negated = line.startsWith('!');
    const pattern = (negated ? line.slice(1) : line).replace(/^(\*\*\/|\/)/, '');
    // Patterns with a slash inside or a trailing one (directories only) cannot name this file.
    if (pattern.includes('/')) continue;
    if (globToRegExp(pattern).test(name)) ignored = !negated;
  }
  return ignored;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/** The .gitignore text with `name` appended on a line of its own. */
export function appendToGitignore(text: string, name: string): string {
  const separator = text === '' || text.endsWith('\n') ? '' : '\n';
  return `${text}${separator}# Secrets (added by todo-deploy setup)\n${name}\n`;
}
