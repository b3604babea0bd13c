/**
 * A separate process writing to a ledger: `node --import tsx concurrent-writer.ts <location> <tag> <count>`.
 * Registers `count` releases in env `race` and marks each good, then prints {"errors":[...]} as JSON.
 * Used to race real processes on one SQLite file (in-process connections share one thread and cannot).
 */
import { openLedger } from '../../src/ledger/open-ledger.js';

const [location, tag, countText] = process.argv.slice(2);
if (!location || !tag || !countText) throw new Error('usage: concurrent-writer <location> <tag> <count>');
const ledger = await openLedger(location);
const errors: string[] = [];
try {
  for (let i = 0; i < Number(countText); i++) {
    const version = `${tag}.${i}.0`;
    try {
      await ledger.registerRelease({ env: 'race', version, artifact: `/a/${version}.tgz`, digest: `sha256:${version}`, commit: null, ci: 'passed' }, Date.now());
      await ledger.markReleaseGood('race', version, Date.now());
    } catch (error) {
      errors.push(error instanceof Error ? error.message : String(error));
    }
  }
} finally {
  await ledger.close();
}
process.stdout.write(JSON.stringify({ errors }));
