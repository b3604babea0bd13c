import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// A generated corpus of migrations: the lint benchmark times both tools on it, and the lint tests
// (test/lint-cli.test.ts, test/lint-parallel.test.ts) run the CLI on small ones.

// Statement templates, mostly the safe expand/contract steps real migrations are made of, with the
// usual share of risky ones (so both tools have findings to report, as they would in CI).
const TEMPLATES: ((n: number) => string)[] = [
  (n) => `CREATE TABLE IF NOT EXISTS accounts_${n} (\n  id bigserial PRIMARY KEY,\n  email text NOT NULL,\n  created_at timestamptz NOT NULL DEFAULT now()\n);`,
  (n) => `ALTER TABLE users ADD COLUMN nickname_${n} text;`,
  (n) => `CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_${n}_idx ON users (email);`,
  (n) => `ALTER TABLE orders ADD CONSTRAINT orders_user_${n}_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;`,
  (n) => `ALTER TABLE orders VALIDATE CONSTRAINT orders_user_${n}_fk;`,
  (n) => `-- backfill in one batch\nUPDATE users SET nickname_${n} = email WHERE id BETWEEN ${n * 1000} AND ${n * 1000 + 999};`,
  (n) => `INSERT INTO settings (key, value) VALUES ('feature_${n}', 'on') ON CONFLICT (key) DO NOTHING;`,
  (n) => `ALTER TABLE users DROP COLUMN legacy_${n};`,
  (n) => `CREATE INDEX orders_created_${n}_idx ON orders (created_at);`,
  (n) => `ALTER TABLE users ALTER COLUMN nickname_${n} SET NOT NULL;`,
];

export function generateCorpus(dir: string, files: number, perFile: number): number {
  mkdirSync(dir, { recursive: true });
  let statements = 0;
  for (let f = 0; f < files; f += 1) {
    const lines = [`-- migration ${f}: generated for the lint benchmark`];
    for (let s = 0; s < perFile; s += 1) lines.push(TEMPLATES[(f + s) % TEMPLATES.length]!(f * perFile + s));
    statements += perFile;
    writeFileSync(join(dir, `${String(f).padStart(5, '0')}_migration.sql`), `${lines.join('\n')}\n`);
  }
  return statements;
}
