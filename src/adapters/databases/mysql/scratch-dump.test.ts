import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { ScratchDumpRewriter } from './scratch-dump.js';

// The shape of `mariadb-dump --databases app --add-drop-database --routines --triggers --events`
// (10.11), cut to the lines that matter, with traps: a row whose value holds an escaped `USE`, an
// event whose body holds a comment line that looks like a section header, a routine body.
const DUMP = [
  '-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB',
  '-- Host: 127.0.0.1    Database: app',
  '--',
  '-- Current Database: `app`',
  '--',
  '',
  '/*!40000 DROP DATABASE IF EXISTS `app`*/;',
  '',
  'CREATE DATABASE /*!32312 IF NOT EXISTS*/ `app` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;',
  '',
  'USE `app`;',
  '',
  'DROP TABLE IF EXISTS `users`;',
  'CREATE TABLE `users` (`id` int, `email` text);',
  'INSERT INTO `users` VALUES',
  "(1,'a\\nUSE `app`;'),",
  "(2,'b');",
  '--',
  "-- Dumping events for database 'app'",
  '--',
  '/*!50106 DROP EVENT IF EXISTS `e` */;',
  'DELIMITER ;;',
  '/*!50106 CREATE*/ /*!50117 DEFINER=`root`@`%`*/ /*!50106 EVENT `e` ON SCHEDULE EVERY 1 SECOND DO BEGIN',
  "-- Dumping routines for database 'app'",
  'DELETE FROM app.users;',
  'END */ ;;',
  'DELIMITER ;',
  '',
  '--',
  "-- Dumping routines for database 'app'",
  '--',
  'DELIMITER ;;',
  '/*!50003 CREATE*/ /*!50020 DEFINER=`root`@`%`*/ /*!50003 PROCEDURE `p`()',
  'USE `app`;',
  'END */;;',
  'DELIMITER ;',
  '--',
  '-- Current Database: `app`',
  '--',
  '',
  'USE `app`;',
  '/*!50001 DROP VIEW IF EXISTS `v`*/;',
  '-- Dump completed on 2026-12-06 22:46:47',
  '',
].join('\n');

async function rewrite(dump: Buffer, chunkSize: number): Promise<{ out: string; rewriter: ScratchDumpRewriter }> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < dump.length; i += chunkSize) chunks.push(dump.subarray(i, i + chunkSize));
  const rewriter = new ScratchDumpRewriter('app', 'rewind_scratch_00ff');
  const out = await text(Readable.from(chunks).pipe(rewriter));
  return { out, rewriter };
}

describe('ScratchDumpRewriter', () => {
  it('points the dump at the scratch database: USE rewritten, DROP/CREATE DATABASE and the events left out, the rest byte for byte', async () => {
    const { out, rewriter } = await rewrite(Buffer.from(DUMP), 1 << 16);
    const lines = out.split('\n');
    // Both of the dump's own USE lines; the one inside the routine body (DELIMITER ;;) is the body's.
    expect(lines.filter((l) => l.startsWith('USE '))).toEqual(['USE `rewind_scratch_00ff`;', 'USE `app`;', 'USE `rewind_scratch_00ff`;']);
    expect(out).not.toContain('DROP DATABASE');
    expect(out).not.toContain('CREATE DATABASE');
    // The events section is gone whole, its comment line that looks like a header included.
    expect(out).not.toContain('EVENT');
    expect(out).not.toContain('DELETE FROM app.users');
    // Row values and the routine body are untouched (the body's USE line sits inside DELIMITER ;;).
    expect(out).toContain("(1,'a\\nUSE `app`;'),\n(2,'b');");
    expect(out).toContain('PROCEDURE `p`()\nUSE `app`;\nEND */;;');
    expect(out).toContain("-- Dumping routines for database 'app'\n--\nDELIMITER ;;");
    expect(out.endsWith('-- Dump completed on 2026-12-06 22:46:47\n')).toBe(true);
    expect(rewriter.counts).toEqual({ uses: 2, databaseLines: 2, events: 1 });
  });

  it('gives the same bytes however the stream is cut, multi-byte characters and CRLF included', async () => {
    const dump = Buffer.from(DUMP.replace("(2,'b')", "(2,'ünïcode ✓')").replace(/\n/g, '\r\n'));
    const whole = await rewrite(dump, dump.length);
    expect(whole.out).toContain("(2,'ünïcode ✓')");
    expect(whole.out).toContain('USE `rewind_scratch_00ff`;');
    for (const size of [1, 2, 3, 7, 64]) expect((await rewrite(dump, size)).out).toBe(whole.out);
  });

  it('counts no USE in a dump that never selects the live database (restoreIntoScratch refuses it)', async () => {
    const { rewriter } = await rewrite(Buffer.from('USE `other`;\nCREATE TABLE t (id int);\n'), 1024);
    expect(rewriter.counts.uses).toBe(0);
  });
});
