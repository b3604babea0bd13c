import { compareVersions } from './migration-files.js';
import type { MigrationFile, MigrationHistory } from './migration-history.js';

/** Pending = on disk and not applied. golang-migrate records only its current version: anything above it is pending. */
export function pendingMigrations(history: MigrationHistory | null, files: readonly MigrationFile[]): MigrationFile[] {
  if (!history) return [...files];
  if (history.tool === 'golang-migrate') {
    const current = history.applied[0];
    if (!current) return [...files];
    return files.filter((f) => compareVersions(f.id, current.id) > 0);
  }
  const done = new Set(history.applied.filter((m) => m.state === 'applied').map((m) => m.id));
  return files.filter((f) => !done.has(f.id));
}

/** Applied according to the database but missing on disk: the deployed code does not know them. */
export function unknownApplied(history: MigrationHistory | null, files: readonly MigrationFile[]): string[] {
  if (!history || history.tool === 'golang-migrate') return [];
  const onDisk = new Set(files.map((f) => f.id));
  return history.applied.filter((m) => m.state === 'applied' && !onDisk.has(m.id)).map((m) => m.id);
}
