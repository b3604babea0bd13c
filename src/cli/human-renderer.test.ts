import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HumanRenderer, pipeHeartbeatMs } from './human-renderer.js';
import { stripStyle, terminalStyle } from './terminal-style.js';

function capture(isTTY: boolean, columns?: number) {
  let text = '';
  const stream = Object.assign(new Writable({ write: (chunk, _enc, done) => ((text += String(chunk)), done()) }), { isTTY, columns });
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

  it('colours marks (green ✓, red ✗), pauses (yellow) and timings (dim) only when given a colour style', async () => {
    const coloured = capture(true);
    const view = new HumanRenderer(coloured.stream, { style: terminalStyle(true) });
    await run(view);
    await view.emit({ event: 'watch_paused', env: 'prod', reasons: ['no data'], version: '1.1.0' });
    expect(coloured.text()).toContain('\x1b[32m✓\x1b[39m \x1b[2m   312 ms\x1b[22m  activate 1.1.0');
    expect(coloured.text()).toContain('\x1b[31m✗\x1b[39m \x1b[2m  1120 ms\x1b[22m  health of 1.1.0');
    expect(coloured.text()).toContain('\x1b[33m  ! watch paused: no data');
    // Without colour codes it is exactly the plain view.
    const plain = capture(true);
    const plainView = new HumanRenderer(plain.stream);
    await run(plainView);
    await plainView.emit({ event: 'watch_paused', env: 'prod', reasons: ['no data'], version: '1.1.0' });
    expect(plain.text()).not.toContain('\x1b[3');
    expect(stripStyle(coloured.text())).toBe(plain.text());
  });
});

describe('HumanRenderer while a step runs', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const start = (view: HumanRenderer) => view.emit({ event: 'step_start', env: 'prod', step: 'health', title: 'health of 1.1.0' });
  const progress = (view: HumanRenderer, message: string) => view.emit({ event: 'step_progress', env: 'prod', step: 'health', title: 'health of 1.1.0', message });
  const complete = (view: HumanRenderer) => view.emit({ event: 'step_complete', env: 'prod', step: 'health', title: 'health of 1.1.0', status: 'succeeded', durationMs: 7200 });

  it('on a TTY, ticks the elapsed time every second and shows the newest progress on the same line', async () => {
    const out = capture(true);
    const view = new HumanRenderer(out.stream, { now: Date.now });
    await start(view);
    expect(out.text()).toBe('  … health of 1.1.0');
    await vi.advanceTimersByTimeAsync(1000);
    expect(out.text()).toBe('  … health of 1.1.0\r\x1b[2K  … health of 1.1.0  1 s');
    await progress(view, 'attempt 3/7: status 500, expected 200; next in 800 ms');
    await vi.advanceTimersByTimeAsync(5000);
    // The screen (what follows the last carriage return) never stays the same for more than a second.
    const screens = out.text().split('\r\x1b[2K');
    expect(screens.slice(-6)).toEqual([
      '  … health of 1.1.0  1 s  attempt 3/7: status 500, expected 200; next in 800 ms',
      '  … health of 1.1.0  2 s  attempt 3/7: status 500, expected 200; next in 800 ms',
      '  … health of 1.1.0  3 s  attempt 3/7: status 500, expected 200; next in 800 ms',
      '  … health of 1.1.0  4 s  attempt 3/7: status 500, expected 200; next in 800 ms',
      '  … health of 1.1.0  5 s  attempt 3/7: status 500, expected 200; next in 800 ms',
      '  … health of 1.1.0  6 s  attempt 3/7: status 500, expected 200; next in 800 ms',
    ]);
    await complete(view);
    expect(out.text().endsWith('\r\x1b[2K  ✓   7200 ms  health of 1.1.0\n')).toBe(true);
    // The clock stops with the step: nothing more is written.
    const after = out.text();
    await vi.advanceTimersByTimeAsync(5000);
    expect(out.text()).toBe(after);
  });

  it('on a TTY, a line printed while the step runs goes above the running line, which is drawn again', async () => {
    const out = capture(true);
    const view = new HumanRenderer(out.stream);
    await start(view);
    await view.emit({ event: 'watch_measurement', env: 'prod', seq: 1, of: 3, readings: [{ metric: 'error-rate', value: 0, outcome: 'successful' }] });
    expect(out.text()).toBe('  … health of 1.1.0\r\x1b[2K    watch 1/3: error-rate 0 successful\n  … health of 1.1.0');
    await complete(view);
  });

  it('on a narrow TTY, cuts the running line to the width so it can be rewritten in place', async () => {
    const out = capture(true, 40);
    const view = new HumanRenderer(out.stream);
    await start(view);
    await vi.advanceTimersByTimeAsync(3000);
    await progress(view, 'attempt 3/7: status 500, expected 200; next in 800 ms');
    const screen = out.text().split('\r\x1b[2K').at(-1)!;
    expect(screen).toBe('  … health of 1.1.0  3 s  attempt 3/7:…');
    expect(screen.length).toBe(39);
    await complete(view);
  });

  it('in a pipe, prints an occasional "still running" line with the newest progress, never one per tick', async () => {
    const out = capture(false);
    const view = new HumanRenderer(out.stream);
    await start(view);
    await vi.advanceTimersByTimeAsync(4000);
    expect(out.text()).toBe('');
    await progress(view, 'attempt 2/7: ECONNREFUSED; next in 400 ms');
    await vi.advanceTimersByTimeAsync(1000);
    expect(out.text()).toBe('    … still running: health of 1.1.0 (5 s) — attempt 2/7: ECONNREFUSED; next in 400 ms\n');
    // Ten minutes of silence from the step: a line at most every 30 s once it is old, not 600.
    await vi.advanceTimersByTimeAsync(595_000);
    const lines = out.text().trim().split('\n');
    expect(lines.length).toBeGreaterThan(15);
    expect(lines.length).toBeLessThan(40);
    await complete(view);
    expect(out.text().endsWith('  ✓   7200 ms  health of 1.1.0\n')).toBe(true);
  });

  it('the pipe heartbeat spacing: 5 s at first, a sixth of the step age, at most 30 s', () => {
    expect([0, 12_000, 60_000, 120_000, 600_000].map(pipeHeartbeatMs)).toEqual([5000, 5000, 10_000, 20_000, 30_000]);
  });
});
