import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { HumanRenderer } from './human-renderer.js';

function capture(isTTY: boolean) {
  let text = '';
  const stream = Object.assign(new Writable({ write: (chunk, _enc, done) => ((text += String(chunk)), done()) }), { isTTY });
  return { stream, text: () => text };
}

const run = async (renderer: HumanRenderer) => {
  await renderer.emit({ event: 'deploy_start', env: 'prod', from: '1.0.0', to: '1.1.0', operationId: 'op_x' });
  await renderer.emit({ event: 'step_start', env: 'prod', step: 'activate', title: 'activate 1.1.0' });
  await renderer.emit({ event: 'step_complete', env: 'prod', step: 'activate', title: 'activate 1.1.0', status: 'succeeded', durationMs: 312 });
  await renderer.emit({ event: 'step_start', env: 'prod', step: 'health', title: 'health of 1.1.0' });
  await renderer.emit({ event: 'step_complete', env: 'prod', step: 'health', title: 'health of 1.1.0', status: 'failed', durationMs: 1120, message: 'status 500' });
};

describe('HumanRenderer', () => {
  it('on a TTY shows the running step, then rewrites its line with the outcome and timing', async () => {
    const out = capture(true);
    await run(new HumanRenderer(out.stream));
    expect(out.text()).toBe(
      'deploy prod: 1.0.0 → 1.1.0  (op_x)\n' +
        '  … activate 1.1.0\r\x1b[2K  ✓    312 ms  activate 1.1.0\n' +
        '  … health of 1.1.0\r\x1b[2K  ✗   1120 ms  health of 1.1.0 — status 500\n',
    );
  });

  it('elsewhere prints one plain line per finished step', async () => {
    const out = capture(false);
    await run(new HumanRenderer(out.stream));
    expect(out.text()).toBe('deploy prod: 1.0.0 → 1.1.0  (op_x)\n  ✓    312 ms  activate 1.1.0\n  ✗   1120 ms  health of 1.1.0 — status 500\n');
  });
});
