import { Transform, type TransformCallback } from 'node:stream';

export const quoteIdent = (name: string): string => `\`${name.replace(/`/g, '``')}\``;

/** What the rewrite did to one dump, for the drill's report and for refusing a dump of another shape. */
export interface ScratchRewriteCounts {
  /** `USE <live>;` lines pointed at the scratch database (one per "Current Database" block). */
  uses: number;
  /** DROP DATABASE and CREATE DATABASE lines left out (the scratch database already exists, the live one is not dropped). */
  databaseLines: number;
  /** Event definitions left out: an event could fire in the scratch database and write to the live one. */
  events: number;
}

const NEWLINE = 0x0a;

/**
 * Rewrites a `mariadb-dump --databases <live> --add-drop-database` dump, line by line, so that the
 * mariadb client loads it into a scratch database instead of the live one. The dump names the live
 * database in exactly three kinds of line, all written by the dump tool itself at the start of a line
 * and outside a `DELIMITER ;;` block: `DROP DATABASE IF EXISTS`, `CREATE DATABASE` (both left out)
 * and `USE <live>;` (pointed at the scratch database; a dump with views has a second one before the
 * views' final structure, which drops and recreates each view). Table data never starts a line with
 * them: the dump escapes newlines inside values, and each row line starts with "(".
 *
 * The events section ("-- Dumping events for database …" up to the next section header at the normal
 * delimiter) is left out whole: an event body may name the live database, and a server whose event
 * scheduler is on would run it. Routines and triggers are kept; nothing calls them in a scratch
 * database, and triggers are created after their table's rows are loaded.
 *
 * The client also runs with `--one-database <scratch>` (mysql-engine.ts), so a statement that ran
 * while any other database was the default would be skipped rather than applied: a second guard,
 * not the first.
 *
 * Lines are compared as UTF-8 text and passed on as their original bytes.
 */
export class ScratchDumpRewriter extends Transform {
  readonly counts: ScratchRewriteCounts = { uses: 0, databaseLines: 0, events: 0 };
  private pending: Buffer = Buffer.alloc(0);
  private delimiter = ';';
  private inEvents = false;
  private readonly liveUse: string;
  private readonly scratchUse: Buffer;

  constructor(live: string, scratch: string) {
    super();
    this.liveUse = `USE ${quoteIdent(live)};`;
    this.scratchUse = Buffer.from(`USE ${quoteIdent(scratch)};\n`);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let start = 0;
    for (let end = data.indexOf(NEWLINE, start); end !== -1; end = data.indexOf(NEWLINE, start)) {
      this.line(data.subarray(start, end + 1));
      start = end + 1;
    }
    data = data.subarray(start);
    this.pending = Buffer.from(data);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.pending.length) this.line(this.pending);
    this.pending = Buffer.alloc(0);
    callback();
  }

  /** One line with its newline (the last may have none). */
  private line(bytes: Buffer): void {
    const text = bytes.toString('utf8').replace(/\r?\n$/, '');
    const delimiter = /^DELIMITER (\S+)$/.exec(text);
    const atNormalDelimiter = this.delimiter === ';';
    if (delimiter) this.delimiter = delimiter[1]!;
    if (this.inEvents) {
      const nextSection = atNormalDelimiter && !delimiter && (text.startsWith('-- Dumping routines for database ') || text.startsWith('-- Current Database: ') || text.startsWith('-- Dump completed'));
      if (!nextSection) {
        if (text.includes('/*!50106 CREATE*/')) this.counts.events++;
        return;
      }
      this.inEvents = false;
    }
    if (atNormalDelimiter && !delimiter) {
      if (text.startsWith('-- Dumping events for database ')) {
        this.inEvents = true;
        return;
      }
      if (text === this.liveUse) {
        this.counts.uses++;
        this.push(this.scratchUse);
        return;
      }
      if (text.startsWith('/*!40000 DROP DATABASE ') || text.startsWith('DROP DATABASE ') || text.startsWith('CREATE DATABASE ')) {
        this.counts.databaseLines++;
        return;
      }
    }
    this.push(bytes);
  }
}
