/**
 * Keeps the set of secret strings known to this process (DSN passwords, tokens, header values taken
 * from the environment) and replaces them in anything that is about to leave it: log lines, ledger
 * rows, plan prints, errors.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined): void {
    // Very short values would redact ordinary words; nobody should use a 3-character secret anyway.
    if (secret && secret.length >= 4) this.secrets.add(secret);
  }

  /** Registers the password of a URL such as postgres://user:pass@host/db. */
  addUrlPassword(value: string): void {
    try {
      const url = new URL(value);
      if (url.password) {
        this.add(url.password);
        this.add(decodeURIComponent(url.password));
      }
    } catch {
      // Not a URL: nothing to register.
    }
  }

  redact(text: string): string {
    let out = text;
    // Longest first: a secret that contains a shorter one must not be left half-redacted.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join('***');
    return out;
  }

  /** Deep copy with every secret string replaced. */
  redactValue<T>(value: T): T {
    if (this.secrets.size === 0) return value;
    return this.walk(value) as T;
  }

  private walk(value: unknown): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (Array.isArray(value)) return value.map((item) => this.walk(item));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.walk(item)]));
    }
    return value;
  }
}

/** A process-wide redactor: config loading registers secrets, every sink redacts through it. */
export const redactor = new Redactor();
