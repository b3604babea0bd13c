// Kept tiny on purpose: `rewind --version` and `rewind status` must start fast, so every command,
// and every heavy dependency behind it, is imported only when that command runs.
import type { CliIo } from './cli-io.js';
import { packageVersion } from '../util/package-root.js';
import { terminalStyle, wantsColour } from './terminal-style.js';

interface CommandModule {
  run(argv: string[], io: CliIo): Promise<number>;
  help: string;
}

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  init: { summary: 'write a commented starter rewind.yaml', load: () => import('./commands/init-command.js') },
  config: { summary: 'check rewind.yaml, or print its JSON Schema', load: () => import('./commands/config-command.js') },
  release: { summary: 'register an immutable release, or list releases', load: () => import('./commands/release-command.js') },
  deploy: { summary: 'ship a release: preflight, activate, verify; roll back by itself on failure', load: () => import('./commands/deploy-command.js') },
  rollback: { summary: 'return to the last known good release, verified', load: () => import('./commands/rollback-command.js') },
  advise: { summary: 'rollback or fix forward? decision rules applied to live signals, with reasons', load: () => import('./commands/advise-command.js') },
  status: { summary: 'what an environment runs, its LKG, lock and last operation', load: () => import('./commands/status-command.js') },
  incident: { summary: 'the incidents rollbacks opened: list, show, update, close, the report, and the CHANGELOG annotation', load: () => import('./commands/incident-command.js') },
  drill: { summary: 'rehearse a rollback: inject a failure and time detection and recovery, or test-restore the newest backup', load: () => import('./commands/drill-command.js') },
  checklist: { summary: 'a rollback\'s checklist: what rewind proved, what a person still has to tick', load: () => import('./commands/checklist-command.js') },
  report: { summary: 'DORA metrics from the ledger: deploy frequency, lead time, change failure rate, time to restore', load: () => import('./commands/report-command.js') },
  history: { summary: 'operations with their step journal, or the audit log', load: () => import('./commands/history-command.js') },
  smoke: { summary: 'run the smoke suite against what an environment serves now', load: () => import('./commands/smoke-command.js') },
  resume: { summary: 'continue (or abandon) an interrupted operation', load: () => import('./commands/resume-command.js') },
  repair: { summary: 'make the ledger and the link agree with what really serves', load: () => import('./commands/repair-command.js') },
  db: { summary: 'backups (verified), restore, drift, one-step down, point-in-time recovery', load: () => import('./commands/db-command.js') },
  notify: { summary: 'notifications: what is pending, delivered or dead; retry the dead', load: () => import('./commands/notify-command.js') },
  unlock: { summary: 'force-remove an environment lock, with a reason for the audit log', load: () => import('./commands/unlock-command.js') },
  lint: { summary: 'check migration SQL for breaking, locking and irreversible changes (CI-ready)', load: () => import('./commands/lint-command.js') },
  demo: { summary: 'deploy, break, and roll back a sample app under real PM2 in a sandbox', load: () => import('./commands/demo-command.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    'rewind — release ledger and rollback orchestrator',
    '',
    'usage: rewind <command> [arguments] [--config rewind.yaml] [--json] [--no-color]',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `rewind <command> --help` for a command\'s arguments, flags and exit codes.',
    'Exit codes and error codes: docs/errors.md. Config keys: docs/config.md.',
  ].join('\n');
}

export async function main(argv: string[], given: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  // Flags end at `--`; after it, "--no-color" would be an argument, not a wish.
  const end = rest.indexOf('--');
  const noColor = (end === -1 ? rest : rest.slice(0, end)).includes('--no-color');
  const io: CliIo = { ...given, color: given.color ?? wantsColour(given.stdout, given.env, noColor) };
  if (name === '--version' || name === '-V') return (io.stdout.write(`${packageVersion()}\n`), 0);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') return (io.stdout.write(`${usage()}\n`), 0);
  // Own properties only: `rewind constructor` must not find Object.prototype.constructor.
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  const json = rest.includes('--json');
  try {
    if (!command) {
      const [{ RewindError }, { closestMatches, didYouMean }] = await Promise.all([import('../errors/rewind-error.js'), import('../util/did-you-mean.js')]);
      const suggestions = closestMatches(name, Object.keys(COMMANDS));
      const guess = didYouMean(suggestions);
      throw new RewindError('REWIND_E_USAGE', `unknown command ${JSON.stringify(name)}${guess ? `; ${guess}` : ''} (commands: ${Object.keys(COMMANDS).join(', ')})`, {
        argument: name,
        ...(suggestions.length ? { suggestions } : {}),
      });
    }
    return await (await command.load()).run(rest, io);
  } catch (error) {
    const { toRewindError } = await import('../errors/rewind-error.js');
    const { redactor } = await import('../util/redact.js');
    const coded = toRewindError(error);
    if (coded.code === 'REWIND_E_INTERNAL' && io.env.REWIND_DEBUG) io.stderr.write(`${(error as Error).stack}\n`);
    if (json) io.stdout.write(`${(await import('../util/iso-times.js')).toJson(redactor.redactValue({ error: coded.toJSON() }))}\n`);
    const style = terminalStyle(wantsColour(io.stderr, io.env, noColor));
    io.stderr.write(`${redactor.redact(`${style.bad(`error ${coded.code}`)}: ${coded.message}\n  ${style.dim('hint:')} ${coded.hint}`)}\n`);
    return coded.exitCode;
  }
}

