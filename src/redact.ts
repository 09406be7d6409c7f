// Secret values are registered once, as soon as they are read, and scrubbed from everything
// the tool prints, logs or throws — including their base64 form, which is how Kubernetes
// Secrets carry them and how a tool's error message may echo them back.

import { isRedactable } from './config/secret-strength.js';

export const REDACTED = '••••••';

export class Redactor {
  private readonly values = new Set<string>();

  /**
   * A value too short or too common to mask (it would mask ordinary words in every message)
   * is not kept: .env validation refuses such a value by the same rule, so it never reaches a
   * tool or a Secret.
   */
  add(value: string | undefined): void {
    if (!value || !isRedactable(value)) return;
    this.values.add(value);
    this.values.add(Buffer.from(value, 'utf8').toString('base64'));
    // URL-encoded forms appear when a value is embedded in a URL (a password in DATABASE_URL).
    // JSON- and XML-escaped forms: a tool's output may quote a value escaped.
    const xml = value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    for (const form of [encodeURIComponent(value), JSON.stringify(value).slice(1, -1), xml, xml.replace(/"/g, '&quot;')]) {
      if (form !== value) this.values.add(form);
    }
  }

  scrub(text: string): string {
    if (this.values.size === 0 || !text) return text;
    // Longest first, so a value that contains another is replaced whole.
    let out = text;
    for (const value of [...this.values].sort((a, b) => b.length - a.length)) {
      if (out.includes(value)) out = out.split(value).join(REDACTED);
    }
    return out;
  }

  /**
   * A document for --json or a report, scrubbed string by string before it is serialised:
   * scrubbing the serialised text could cut through quotes and keys and break the document.
   */
  scrubValues<T>(value: T): T {
    if (typeof value === 'string') return this.scrub(value) as T;
    if (Array.isArray(value)) return value.map((item) => this.scrubValues(item)) as T;
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.scrubValues(item)])) as T;
    return value;
  }
}
