import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// What the compose target keeps on this machine, under its state directory:
//   pins.json             the active release and, per service rewind manages, the pinned image and
//                         the release that pinned it (what `current` is for the releases target)
//   rewind.override.yml   the same pins as Compose reads them (`image:` and a rewind.version label)
//   releases/<v>/release.json  one per prepared release: its manifest digest and images (pulled)
// Every file is written under a temporary name and renamed, so a crash never leaves half of one.

/** images.json, the manifest a release is registered as: service -> repository@sha256:... */
export const MANIFEST_FILE = 'images.json';
export interface ImageManifest {
  images: Record<string, string>;
}

export interface ServicePin {
  image: string;
  /** The release that pinned it (a service a later release did not change keeps its older pin). */
  version: string;
}
export interface Pins {
  active: string | null;
  services: Record<string, ServicePin>;
}

/** What prepare records once every image of a release is pulled. */
export interface PreparedRecord {
  version: string;
  /** The registered digest of the manifest directory. */
  digest: string;
  images: Record<string, string>;
}

export const EMPTY_PINS: Pins = Object.freeze({ active: null, services: {} }) as Pins;

export class ComposeState {
  constructor(readonly dir: string) {}

  get pinsFile(): string {
    return join(this.dir, 'pins.json');
  }
  get overrideFile(): string {
    return join(this.dir, 'rewind.override.yml');
  }
  get releasesDir(): string {
    return join(this.dir, 'releases');
  }
  recordFile(version: string): string {
    return join(this.releasesDir, version, 'release.json');
  }

  pins(): Pins {
    try {
      return JSON.parse(readFileSync(this.pinsFile, 'utf8')) as Pins;
    } catch {
      return EMPTY_PINS;
    }
  }

  /**
   * Writes the override file, then pins.json: pins.json is the record of what is active, so it is
   * renamed into place last (a crash in between leaves the old active version and an override that
   * the next activate writes again).
   */
  async writePins(pins: Pins, variables: Readonly<Record<string, string>>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await atomicWrite(this.overrideFile, overrideYaml(pins, variables));
    await atomicWrite(this.pinsFile, JSON.stringify(pins, null, 2) + '\n');
  }

  /** Synchronous: describeActivate reads it to list the services (a small file). */
  recordSync(version: string): PreparedRecord | null {
    try {
      return JSON.parse(readFileSync(this.recordFile(version), 'utf8')) as PreparedRecord;
    } catch {
      return null;
    }
  }

  async record(version: string): Promise<PreparedRecord | null> {
    try {
      return JSON.parse(await readFile(this.recordFile(version), 'utf8')) as PreparedRecord;
    } catch {
      return null;
    }
  }

  async writeRecord(record: PreparedRecord): Promise<void> {
    const staging = join(this.releasesDir, `.tmp-${record.version}-${randomBytes(4).toString('hex')}`);
    await mkdir(staging, { recursive: true });
    try {
      await writeFile(join(staging, 'release.json'), JSON.stringify(record, null, 2) + '\n');
      await rm(join(this.releasesDir, record.version), { recursive: true, force: true });
      await rename(staging, join(this.releasesDir, record.version));
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  async versions(): Promise<string[]> {
    if (!existsSync(this.releasesDir)) return [];
    const entries = await readdir(this.releasesDir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.') && existsSync(this.recordFile(e.name))).map((e) => e.name);
  }

  async records(): Promise<PreparedRecord[]> {
    const records = await Promise.all((await this.versions()).map((v) => this.record(v)));
    return records.filter((r): r is PreparedRecord => r !== null);
  }

  async removeRecord(version: string): Promise<void> {
    // Renamed first so a half-deleted record is never taken for a prepared release.
    const doomed = join(this.releasesDir, `.del-${version}-${randomBytes(4).toString('hex')}`);
    await rename(join(this.releasesDir, version), doomed);
    await rm(doomed, { recursive: true, force: true });
  }
}

/** The override file: JSON is YAML, and Compose reads it as such. Variable-pinned services get only the label. */
export function overrideYaml(pins: Pins, variables: Readonly<Record<string, string>>): string {
  const services: Record<string, { image?: string; labels: Record<string, string> }> = {};
  for (const [service, pin] of Object.entries(pins.services)) {
    services[service] = { ...(variables[service] ? {} : { image: pin.image }), labels: { 'rewind.version': pin.version } };
  }
  return `# Written by rewind (compose target): the pinned image of each service it manages. Do not edit;\n# \`rewind deploy\` and \`rewind rollback\` rewrite it.\n${JSON.stringify({ services }, null, 2)}\n`;
}

async function atomicWrite(path: string, content: string): Promise<void> {
  const temporary = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}
