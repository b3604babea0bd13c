import type { LintFinding, LintResult, Severity } from '../lint-types.js';
import { RULES } from '../rule-catalog.js';

/**
 * SARIF 2.1.0, the format GitHub code scanning (and most CI dashboards) ingest: every rule in
 * tool.driver.rules (so ruleIndex is stable across runs), one result per finding with its file and
 * line, and suppressed findings kept as results with an in-source suppression and its reason, so a
 * dashboard shows them as reviewed rather than forgetting them.
 */
export interface SarifOptions {
  toolVersion: string;
}

export function renderLintSarif(result: LintResult, options: SarifOptions): string {
  const ruleIndex = new Map(RULES.map((r, i) => [r.code, i]));
  const results = [
    ...result.findings.map((f) => sarifResult(f, ruleIndex)),
    ...result.suppressed.map((f) => ({ ...sarifResult(f, ruleIndex), suppressions: [{ kind: 'inSource', justification: f.reason }] })),
  ];
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'rewind-lint',
            version: options.toolVersion,
            rules: RULES.map((r) => ({
              id: r.code,
              name: pascal(r.title),
              shortDescription: { text: `${r.title} (${r.class})` },
              fullDescription: { text: `${r.class}: ${r.title}. Safe alternative: ${r.alternative}` },
              help: { text: `Safe alternative: ${r.alternative}\nSuppress with: -- rewind:ignore ${r.code} <reason>`, markdown: `**Safe alternative:** ${r.alternative}\n\nSuppress with \`-- rewind:ignore ${r.code} <reason>\`.` },
              defaultConfiguration: { level: level(r.severity) },
              properties: { tags: ['migration', r.class], class: r.class, precision: 'high' },
            })),
          },
        },
        columnKind: 'utf16CodeUnits',
        results,
        properties: { engine: result.engine, verdict: result.verdict, reasons: result.reasons, notes: result.notes, files: result.files, statements: result.statements },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function sarifResult(f: LintFinding, ruleIndex: Map<string, number>) {
  const region: { startLine: number; startColumn?: number } = { startLine: f.line };
  if (f.column !== undefined) region.startColumn = f.column;
  return {
    ruleId: f.code,
    ruleIndex: ruleIndex.get(f.code) ?? -1,
    level: level(f.severity),
    message: { text: `${f.message}. Safe alternative: ${f.safeAlternative}` },
    locations: [{ physicalLocation: { artifactLocation: { uri: fileUri(f.file) }, region } }],
    properties: { class: f.class, statement: f.statement },
  };
}

const level = (severity: Severity): 'error' | 'warning' | 'note' => severity;

/**
 * Paths inside the working directory become relative URI references (what code scanning matches
 * against the repository); others become file:// URIs. Each segment is percent-encoded.
 */
function fileUri(path: string): string {
  const slashed = path.replace(/\\/g, '/');
  const encoded = slashed.split('/').map((segment) => (/^[A-Za-z]:$/.test(segment) ? segment : encodeURIComponent(segment))).join('/');
  if (slashed.startsWith('/')) return `file://${encoded}`;
  if (/^[A-Za-z]:\//.test(slashed)) return `file:///${encoded}`;
  return encoded;
}

const pascal = (title: string): string =>
  title
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
