import { cp, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectArtifact } from '../../artifacts/artifact-digest.js';
import { readTarball } from '../../artifacts/tarball-scan.js';
import { TreeWriter } from '../../artifacts/tree-writer.js';
import type { MigrationsConfig } from '../../config/config-schema.js';
import { RewindError } from '../../errors/rewind-error.js';
import type { DrillFailure } from '../../ports/ledger-drills.js';

/**
 * The drill release: the running release's own artifact (rewind's stored copy) with one small,
 * documented change (docs/drills.md), registered under a version of its own marked as a drill:
 *
 * - every drill release holds `rewind-drill.json` at its root: `{drill, failure, of, version}`. An app
 *   that takes part in drills reads it: it answers with `version`, fails its health check for a
 *   health drill and the path its smoke suite checks for a smoke drill (examples/sample-app does);
 * - a migration drill also holds one migration, newest of all, that fails on every engine (it calls
 *   a function that does not exist), written in the layout of the configured tool.
 */

export const DRILL_MARKER = 'rewind-drill.json';
/** Sorts after any real migration of the timestamped layouts. */
const LAST = '99991231235959';
const FAILING_SQL = "-- rewind drill: this migration fails on purpose (docs/drills.md); it is never applied.\nSELECT rewind_drill_injected_failure();\n";

/** Where the failing migration goes in each tool's layout; tools whose migrations are code are not supported. */
const FAILING_MIGRATION: Partial<Record<MigrationsConfig['tool'], string>> = {
  prisma: join(`${LAST}_rewind_drill_failure`, 'migration.sql'),
  'golang-migrate': `${LAST}_rewind_drill_failure.up.sql`,
  'node-pg-migrate': `${LAST}_rewind-drill-failure.sql`,
  flyway: `V${LAST}__rewind_drill_failure.sql`,
};

/** `1.4.0` → `1.4.0-drill.<n>`, `1.4.0-rc.1+b7` → `1.4.0-rc.1.drill.<n>`: a SemVer version of its own, recognisably a drill. */
export function drillVersionOf(version: string, n: number): string {
  const base = version.split('+')[0]!;
  return base.includes('-') ? `${base}.drill.${n}` : `${base}-drill.${n}`;
}

/** The injected migration's path inside the release, or a coded refusal for a tool whose migrations are code. */
export function failingMigrationPath(migrations: MigrationsConfig | undefined): string {
  if (!migrations) throw new RewindError('REWIND_E_DRILL_NOT_READY', 'a migration drill needs database.migrations configured: the drill release carries one failing migration', {});
  const file = FAILING_MIGRATION[migrations.tool];
  if (!file) {
    throw new RewindError('REWIND_E_DRILL_UNSUPPORTED', `a migration drill writes a failing SQL migration, and ${migrations.tool} migrations are code; supported: ${Object.keys(FAILING_MIGRATION).join(', ')}`, {});
  }
  return join(migrations.dir, file);
}

export interface DrillArtifact {
  /** A temporary directory holding the drill release; the caller removes it (`dispose`) once registered. */
  dir: string;
  /** What was added to the running release's files. */
  added: string[];
  dispose(): Promise<void>;
}

/**
 * Copies the stored artifact of the running release, a directory or a tarball (unpacked with the
 * same checks and release root as a deploy), and adds the marker (and the failing migration). The
 * drill release is a directory either way.
 */
export async function buildDrillArtifact(stored: string, marker: { failure: DrillFailure; of: string; version: string }, migrationPath?: string): Promise<DrillArtifact> {
  const parent = await mkdtemp(join(tmpdir(), 'rewind-drill-'));
  const dir = join(parent, marker.version);
  const dispose = () => rm(parent, { recursive: true, force: true });
  try {
    if (await isDirectory(stored)) await cp(stored, dir, { recursive: true, verbatimSymlinks: true });
    else {
      const { root } = await inspectArtifact(stored);
      await mkdir(dir);
      await readTarball(stored, { writer: new TreeWriter(dir), root });
    }
    await writeFile(join(dir, DRILL_MARKER), `${JSON.stringify({ drill: true, ...marker })}\n`);
    const added = [DRILL_MARKER];
    if (migrationPath) {
      await mkdir(join(dir, migrationPath, '..'), { recursive: true });
      await writeFile(join(dir, migrationPath), FAILING_SQL);
      added.push(migrationPath);
    }
    return { dir, added, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** Whether rewind's stored copy is a directory tree (else a tarball). */
export async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isDirectory() ?? false;
}
