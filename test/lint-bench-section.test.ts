import { describe, expect, it } from 'vitest';
import { mergeBenchmarkSection } from './support/benchmark-section.js';

// docs/benchmarks.md is shared with the other benchmarks: the lint bench may only add or refresh
// its own `## Migration lint` section.
describe('docs/benchmarks.md: the migration lint section', () => {
  const section = '## Migration lint\n\nnew numbers\n';

  it('creates the file with just the section', () => {
    expect(mergeBenchmarkSection(undefined, section)).toBe(section);
  });

  it('appends to a file without the section, leaving the rest alone', () => {
    expect(mergeBenchmarkSection('# Benchmarks\n\n## Cold start\n\n12 ms\n', section)).toBe('# Benchmarks\n\n## Cold start\n\n12 ms\n\n## Migration lint\n\nnew numbers\n');
  });

  it('replaces only its own earlier section, wherever it is', () => {
    const before = '# Benchmarks\n\n## Migration lint\n\nold numbers\n\n## Rollback\n\n300 ms\n';
    expect(mergeBenchmarkSection(before, section)).toBe('# Benchmarks\n\n## Migration lint\n\nnew numbers\n\n## Rollback\n\n300 ms\n');
    expect(mergeBenchmarkSection('## Migration lint\n\nold\n', section)).toBe(section);
    expect(mergeBenchmarkSection('## Rollback\n\nx\n\n## Migration lint\n\nold\n', section)).toBe('## Rollback\n\nx\n\n## Migration lint\n\nnew numbers\n');
  });
});
