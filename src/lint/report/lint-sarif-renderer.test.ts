import { describe, expect, it } from 'vitest';
import { lintMigrations } from '../run/lint-sql.js';
import { renderLintSarif } from './lint-sarif-renderer.js';
import { RULES } from '../rule-catalog.js';

interface SarifLog {
  $schema: string;
  version: string;
  runs: {
    tool: { driver: { name: string; version: string; rules: { id: string; name: string; shortDescription: { text: string }; help: { text: string }; defaultConfiguration: { level: string } }[] } };
    results: {
      ruleId: string;
      ruleIndex: number;
      level: string;
      message: { text: string };
      locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn?: number } } }[];
      suppressions?: { kind: string; justification: string }[];
    }[];
  }[];
}

// The shape GitHub code scanning ingests: tool.driver.rules with ids, results with ruleId, level,
// message and a physical location (artifact URI + region startLine).
describe('SARIF output', () => {
  it('is a SARIF 2.1.0 log with every rule and one result per finding', async () => {
    const sql = '-- rewind:ignore RW201 tiny lookup table\nCREATE INDEX c_idx ON countries (code);\nALTER TABLE users DROP COLUMN legacy;\nDELETE FROM jobs;\n';
    const result = await lintMigrations([{ path: 'db/migrations/003 drop.sql', sql }]);
    const log = JSON.parse(renderLintSarif(result, { toolVersion: '1.2.3' })) as SarifLog;

    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toContain('sarif-2.1.0');
    expect(log.runs).toHaveLength(1);
    const { driver } = log.runs[0]!.tool;
    expect(driver).toMatchObject({ name: 'rewind-lint', version: '1.2.3' });
    expect(driver.rules.map((r) => r.id)).toEqual(RULES.map((r) => r.code));
    for (const rule of driver.rules) {
      expect(rule.name).toMatch(/^[A-Za-z0-9]+$/);
      expect(rule.shortDescription.text.length).toBeGreaterThan(3);
      expect(rule.help.text).toContain('rewind:ignore');
      expect(['error', 'warning', 'note']).toContain(rule.defaultConfiguration.level);
    }

    const results = log.runs[0]!.results;
    expect(results.map((r) => `${r.ruleId}:${r.level}:${r.locations[0]!.physicalLocation.region.startLine}`)).toEqual([
      'RW102:error:3',
      'RW302:warning:3',
      'RW304:warning:4',
      'RW201:warning:2',
    ]);
    for (const r of results) {
      expect(driver.rules[r.ruleIndex]!.id).toBe(r.ruleId);
      expect(r.message.text).toContain('Safe alternative:');
      expect(r.locations[0]!.physicalLocation.artifactLocation.uri).toBe('db/migrations/003%20drop.sql');
      expect(r.locations[0]!.physicalLocation.region.startColumn).toBe(1);
    }
    // The suppressed finding stays visible as reviewed, with its reason.
    expect(results[3]!.suppressions).toEqual([{ kind: 'inSource', justification: 'tiny lookup table' }]);
    expect(results.slice(0, 3).every((r) => r.suppressions === undefined)).toBe(true);
  });

  it('has no results (and still every rule) for a clean file', async () => {
    const result = await lintMigrations([{ path: 'ok.sql', sql: 'ALTER TABLE users ADD COLUMN nickname text;' }]);
    const log = JSON.parse(renderLintSarif(result, { toolVersion: '0.0.0' })) as SarifLog;
    expect(log.runs[0]!.results).toEqual([]);
    expect(log.runs[0]!.tool.driver.rules).toHaveLength(RULES.length);
  });
});
