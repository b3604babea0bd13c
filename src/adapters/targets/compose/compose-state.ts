import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../util/atomic-file.js';
import { ReleaseRecords } from '../release-records.js';

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

export class ComposeState extends ReleaseRecords<PreparedRecord> {
  get pinsFile(): string {
    return join(this.dir, 'pins.json');
  }
  get overrideFile(): string {
    return join(this.dir, 'rewind.override.yml');
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
    await writeFileAtomic(this.overrideFile, overrideYaml(pins, variables));
    await writeFileAtomic(this.pinsFile, JSON.stringify(pins, null, 2) + '\n');
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
