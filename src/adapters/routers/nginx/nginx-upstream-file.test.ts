import { describe, expect, it } from 'vitest';
import { parseNginxUpstream, renderNginxUpstream } from './nginx-upstream-file.js';

const backends = {
  stable: { name: 'app-1.0.0', host: '127.0.0.1', port: 3001 },
  canary: { name: 'app-1.1.0', host: '::1', port: 3002 },
};

describe('nginx upstream file', () => {
  it('renders weights, a shared zone, and `down` for a backend at 0 % (nginx weights must be >= 1)', () => {
    const text = renderNginxUpstream('rewind_app', backends, { stable: 100, canary: 0 });
    expect(text).toContain('upstream rewind_app {\n    zone rewind_app 64k;\n');
    expect(text).toContain('    server 127.0.0.1:3001 weight=100; # stable: app-1.0.0\n');
    expect(text).toContain('    server [::1]:3002 down; # canary: app-1.1.0\n');
    expect(text).not.toMatch(/weight=0/);
  });

  it('reads back the split it wrote, and nothing from a file it did not write', () => {
    expect(parseNginxUpstream(renderNginxUpstream('u', backends, { stable: 90, canary: 10 }))).toEqual({ stable: 90, canary: 10 });
    expect(parseNginxUpstream(renderNginxUpstream('u', backends, { stable: 0, canary: 100 }))).toEqual({ stable: 0, canary: 100 });
    expect(parseNginxUpstream('upstream u { server 127.0.0.1:1; }')).toBeNull();
  });
});
