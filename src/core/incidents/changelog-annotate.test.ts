import { describe, expect, it } from 'vitest';
import { RewindError } from '../../errors/rewind-error.js';
import { unifiedDiff } from '../../util/unified-diff.js';
import { annotateChangelog, type ChangelogAnnotation } from './changelog-annotate.js';

const A: ChangelogAnnotation = { incidentId: 7, section: 'Fixed', rollbacks: [{ from: '1.1.0', to: '1.0.0', reason: 'health check failed:\n  503' }] };
const TOP = '# Changelog\n\nAll notable changes to this project will be documented in this file.\n\n';
const RELEASES = '## [1.1.0] - 2026-02-01\n\n### Added\n\n- New checkout\n\n## [1.0.0] - 2026-01-01\n\n### Added\n\n- First release\n';
const YANKED_110 = '## [1.1.0] - 2026-02-01 [YANKED]\n\nYanked: rolled back to 1.0.0 (incident #7): health check failed: 503\n\n### Added\n\n- New checkout\n\n## [1.0.0] - 2026-01-01\n\n### Added\n\n- First release\n';
const LINE = '- Rolled back 1.1.0 → 1.0.0 (incident #7): health check failed: 503';

describe('annotateChangelog (Keep a Changelog)', () => {
  it('creates ## [Unreleased] and ### Fixed above the releases when missing, and yanks the release with the reason and incident', () => {
    expect(annotateChangelog(TOP + RELEASES, A)).toBe(`${TOP}## [Unreleased]\n\n### Fixed\n\n${LINE}\n\n${YANKED_110}`);
  });

  it('appends to an existing ### Fixed, after its last item, leaving the other subsections alone', () => {
    const before = `${TOP}## [Unreleased]\n\n### Added\n\n- Dark mode\n\n### Fixed\n\n- A typo\n\n${RELEASES}`;
    expect(annotateChangelog(before, A)).toBe(`${TOP}## [Unreleased]\n\n### Added\n\n- Dark mode\n\n### Fixed\n\n- A typo\n${LINE}\n\n${YANKED_110}`);
  });

  it('puts a new ### Fixed above an existing ### Security (Keep a Changelog order); Security when asked', () => {
    const before = `${TOP}## [Unreleased]\n\n### Security\n\n- Bump openssl\n\n${RELEASES}`;
    expect(annotateChangelog(before, A)).toBe(`${TOP}## [Unreleased]\n\n### Fixed\n\n${LINE}\n\n### Security\n\n- Bump openssl\n\n${YANKED_110}`);
    expect(annotateChangelog(before, { ...A, section: 'Security' })).toBe(`${TOP}## [Unreleased]\n\n### Security\n\n- Bump openssl\n${LINE}\n\n${YANKED_110}`);
  });

  it('an already annotated file comes back byte for byte (idempotent)', () => {
    const once = annotateChangelog(TOP + RELEASES, A);
    expect(annotateChangelog(once, A)).toBe(once);
    expect(annotateChangelog(once, { ...A, section: 'Security' })).toBe(once);
  });

  it('a release already [YANKED] (by hand) is not marked twice; only the incident line is added', () => {
    const before = `${TOP}## [Unreleased]\n\n${RELEASES.replace('2026-02-01', '2026-02-01 [YANKED]')}`;
    expect(annotateChangelog(before, A)).toBe(`${TOP}## [Unreleased]\n\n### Fixed\n\n${LINE}\n\n${YANKED_110}`);
  });

  it('a file without the release entry is a coded error (the caller writes nothing)', () => {
    let error: unknown;
    try {
      annotateChangelog(`${TOP}## [1.0.0] - 2026-01-01\n`, A);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RewindError);
    expect((error as RewindError).code).toBe('REWIND_E_CHANGELOG_NO_ENTRY');
  });

  it('a file with no release headings at all gets Unreleased at its end', () => {
    expect(() => annotateChangelog(TOP, A)).toThrow(/no entry/);
    const only = annotateChangelog(`${TOP}## 1.1.0\n`, A);
    expect(only).toBe(`${TOP}## [Unreleased]\n\n### Fixed\n\n${LINE}\n\n## 1.1.0 [YANKED]\n\nYanked: rolled back to 1.0.0 (incident #7): health check failed: 503\n`);
  });

  it('unifiedDiff shows the added lines and the changed heading', () => {
    const before = TOP + RELEASES;
    const diff = unifiedDiff(before, annotateChangelog(before, A), 'a/CHANGELOG.md', 'b/CHANGELOG.md');
    expect(diff).toMatch(/^--- a\/CHANGELOG.md\n\+\+\+ b\/CHANGELOG.md\n@@ -2,7 \+2,15 @@\n/);
    expect(diff).toContain(`+${LINE}\n`);
    expect(diff).toContain('-## [1.1.0] - 2026-02-01\n');
    expect(diff).toContain('+## [1.1.0] - 2026-02-01 [YANKED]\n');
    expect(diff.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---'))).toEqual(['-## [1.1.0] - 2026-02-01']);
    expect(unifiedDiff(before, before, 'a', 'b')).toBe('');
  });
});
