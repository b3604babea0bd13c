import { describe, expect, it } from 'vitest';
import type { CiCheck } from '../../ports/ci-checks.js';
import { ciVerdict, latestChecks } from './ci-verdict.js';

let id = 100;
const run = (name: string, status: string, conclusion: string | null, at = id++): CiCheck => ({ name, kind: 'check-run', status, conclusion, id: at, url: null });
const status = (name: string, state: 'pending' | 'success' | 'failure' | 'error'): CiCheck => ({ name, kind: 'status', status: state === 'pending' ? 'pending' : 'completed', conclusion: state === 'pending' ? null : state, id: id++, url: null });

describe('ciVerdict: whether a commit passed CI', () => {
  it('passes when every check completed with success, neutral or skipped', () => {
    const v = ciVerdict([run('test', 'completed', 'success'), run('lint', 'completed', 'neutral'), run('docs', 'completed', 'skipped'), status('ci/legacy', 'success')]);
    expect(v.verdict).toBe('passed');
    expect(v.counted.map((c) => c.name)).toEqual(['ci/legacy', 'docs', 'lint', 'test']);
    expect(v.summary).toBe('all 4 checks passed: ci/legacy, docs, lint, test');
  });

  it.each(['failure', 'cancelled', 'timed_out', 'action_required', 'stale', 'startup_failure'])('fails on a completed check concluded %s', (conclusion) => {
    const v = ciVerdict([run('test', 'completed', 'success'), run('build', 'completed', conclusion)]);
    expect(v.verdict).toBe('failed');
    expect(v.summary).toBe(`1 of 2 checks failed: build (${conclusion})`);
  });

  it('fails on a failed or errored commit status', () => {
    expect(ciVerdict([run('test', 'completed', 'success'), status('ci/jenkins', 'error')]).verdict).toBe('failed');
    expect(ciVerdict([status('ci/jenkins', 'failure')]).verdict).toBe('failed');
  });

  it.each(['queued', 'in_progress', 'waiting', 'requested', 'pending'])('is unknown, not passed, while a check is %s', (pending) => {
    const v = ciVerdict([run('test', 'completed', 'success'), run('e2e', pending, null)]);
    expect(v.verdict).toBe('unknown');
    expect(v.summary).toContain(`pending: e2e (${pending})`);
  });

  it('lets a failure win over a pending check', () => {
    expect(ciVerdict([run('e2e', 'in_progress', null), run('test', 'completed', 'failure')]).verdict).toBe('failed');
  });

  it('is unknown when nothing has reported on the commit', () => {
    expect(ciVerdict([])).toMatchObject({ verdict: 'unknown', summary: 'no checks have reported on this commit', missing: [] });
  });

  it('counts only the newest run of a name: a re-run that passed replaces the failed run, and the other way round', () => {
    expect(ciVerdict([run('test', 'completed', 'failure', 1), run('test', 'completed', 'success', 2)]).verdict).toBe('passed');
    expect(ciVerdict([run('test', 'completed', 'success', 3), run('test', 'completed', 'failure', 4)]).verdict).toBe('failed');
    expect(ciVerdict([run('test', 'completed', 'failure', 5), run('test', 'in_progress', null, 6)]).verdict).toBe('unknown');
    expect(latestChecks([run('a', 'completed', 'failure', 9), run('a', 'completed', 'success', 8)])[0]!.id).toBe(9);
  });

  describe('with requiredChecks', () => {
    it('counts only the required names: a failing optional check does not fail it', () => {
      const v = ciVerdict([run('test', 'completed', 'success'), run('flaky-optional', 'completed', 'failure')], ['test']);
      expect(v.verdict).toBe('passed');
      expect(v.counted.map((c) => c.name)).toEqual(['test']);
    });

    it('is unknown while a required check has not reported, and names it', () => {
      const v = ciVerdict([run('test', 'completed', 'success')], ['test', 'e2e', 'ci/jenkins']);
      expect(v).toMatchObject({ verdict: 'unknown', missing: ['ci/jenkins', 'e2e'] });
      expect(v.summary).toBe('3 required checks not all finished (not reported: ci/jenkins, e2e)');
    });

    it('matches a required name against status contexts as well as check runs', () => {
      expect(ciVerdict([status('ci/jenkins', 'success'), run('test', 'completed', 'success')], ['ci/jenkins', 'test']).verdict).toBe('passed');
      expect(ciVerdict([status('ci/jenkins', 'failure')], ['ci/jenkins']).verdict).toBe('failed');
    });
  });
});
