import { RewindError } from '../../errors/rewind-error.js';

/** One rollback of an incident, as the CHANGELOG tells it. */
export interface ChangelogRollback {
  /** The rolled-back release: its entry is marked [YANKED]. */
  from: string;
  to: string;
  reason: string;
}

export interface ChangelogAnnotation {
  incidentId: number;
  rollbacks: ChangelogRollback[];
  section: 'Fixed' | 'Security';
}

/**
 * Annotates a Keep a Changelog file for an incident's rollbacks: a line under `## [Unreleased]` /
 * `### Fixed` (or `### Security`), created when missing, and each rolled-back release's own entry
 * marked `[YANKED]` with the reason and the incident id. Pure text in, text out. Idempotent: every
 * edit is skipped when its mark (the incident id) is already there, so a second run returns the
 * same bytes. A release without its own entry is a coded error and nothing is changed.
 */
export function annotateChangelog(text: string, annotation: ChangelogAnnotation): string {
  const lines = text.split('\n');
  const seen = new Set<string>();
  for (const rollback of annotation.rollbacks) {
    if (seen.has(rollback.from)) continue;
    seen.add(rollback.from);
    yank(lines, rollback, annotation.incidentId);
    unreleasedLine(lines, rollback, annotation);
  }
  return lines.join('\n');
}

/** Reasons are free text from the ledger: one line, so a reason cannot forge a heading. */
const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim() || '(no reason recorded)';
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const isRelease = (line: string): boolean => /^## /.test(line);
const mark = (incidentId: number): string => `(incident #${incidentId})`;

/** Index of the next `## ` heading after `from`, or the end. */
function blockEnd(lines: string[], from: number): number {
  for (let i = from + 1; i < lines.length; i++) if (isRelease(lines[i]!)) return i;
  return lines.length;
}

/** Index after the last non-blank line in [start, end). */
function lastContent(lines: string[], start: number, end: number): number {
  let i = end;
  while (i > start && lines[i - 1]!.trim() === '') i--;
  return i;
}

function yank(lines: string[], rollback: ChangelogRollback, incidentId: number): void {
  const heading = new RegExp(`^## \\[?v?${escape(rollback.from)}\\]?(\\s|$)`);
  const at = lines.findIndex((line) => heading.test(line));
  if (at < 0) {
    throw new RewindError('REWIND_E_CHANGELOG_NO_ENTRY', `the CHANGELOG has no entry "## [${rollback.from}]" for the rolled-back release; nothing was changed`, { version: rollback.from, incident: incidentId });
  }
  if (!/\[YANKED\]\s*$/.test(lines[at]!)) lines[at] = `${lines[at]!.trimEnd()} [YANKED]`;
  const end = blockEnd(lines, at);
  if (lines.slice(at + 1, end).some((line) => line.includes(mark(incidentId)))) return;
  const note = `Yanked: rolled back to ${rollback.to} ${mark(incidentId)}: ${oneLine(rollback.reason)}`;
  const insert = ['', note];
  if (at + 1 < lines.length && lines[at + 1]!.trim() !== '') insert.push('');
  lines.splice(at + 1, 0, ...insert);
}

function unreleasedLine(lines: string[], rollback: ChangelogRollback, annotation: ChangelogAnnotation): void {
  let at = lines.findIndex((line) => /^## \[?unreleased\]?\s*$/i.test(line));
  if (at < 0) {
    // Keep a Changelog: Unreleased is the newest entry, above every release.
    const first = lines.findIndex(isRelease);
    at = first < 0 ? lastContent(lines, 0, lines.length) : first;
    const insert = first < 0 ? ['', '## [Unreleased]'] : ['## [Unreleased]', ''];
    lines.splice(at, 0, ...insert);
    if (first < 0) at += 1;
  }
  const end = blockEnd(lines, at);
  const said = `Rolled back ${rollback.from} → ${rollback.to} ${mark(annotation.incidentId)}`;
  if (lines.slice(at + 1, end).some((line) => line.includes(said))) return;
  const title = `### ${annotation.section}`;
  let sub = lines.slice(at + 1, end).findIndex((line) => line.trim() === title);
  if (sub < 0) {
    // Keep a Changelog's order puts Security last: a new Fixed goes above an existing Security.
    const security = annotation.section === 'Fixed' ? lines.slice(at + 1, end).findIndex((line) => line.trim() === '### Security') : -1;
    const place = security >= 0 ? at + 1 + security : lastContent(lines, at, end);
    const insert = security >= 0 ? [title, ''] : ['', title];
    lines.splice(place, 0, ...insert);
    sub = security >= 0 ? place : place + 1;
  } else sub += at + 1;
  let subEnd = sub + 1;
  while (subEnd < lines.length && !isRelease(lines[subEnd]!) && !/^### /.test(lines[subEnd]!)) subEnd++;
  const place = Math.max(lastContent(lines, sub, subEnd), sub + 1);
  const bullet = `- ${said}: ${oneLine(rollback.reason)}`;
  const insert = place === sub + 1 ? ['', bullet] : [bullet];
  lines.splice(place, 0, ...insert);
  // A blank line before what follows, so the next heading stays a heading.
  const after = place + insert.length;
  if (after < lines.length && lines[after]!.trim() !== '') lines.splice(after, 0, '');
}
