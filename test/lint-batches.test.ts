import { describe, expect, it } from 'vitest';
import { batchCount, claimBatches, createBatchBoard, runBatch, takeBatch } from '../src/lint/run/lint-batches.js';

// The work sharing of `rewind lint` threads: every batch is delivered exactly once, whoever does it.
describe('lint batches', () => {
  const items = Array.from({ length: 103 }, (_, i) => i);
  const sum = (batch: readonly number[]) => batch.reduce((a, b) => a + b, 0);

  it('claims every batch once, in order, and delivers each with its number', () => {
    const board = createBatchBoard(batchCount(items.length, 10));
    const delivered: [number, number][] = [];
    claimBatches(items, 10, board, sum, (index, result) => delivered.push([index, result]));
    expect(delivered.map(([i]) => i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(delivered[10]).toEqual([10, 100 + 101 + 102]);
    // The counter is exhausted: a late thread gets nothing.
    const late: number[] = [];
    claimBatches(items, 10, board, sum, (index) => late.push(index));
    expect(late).toEqual([]);
  });

  it('a batch taken by one thread is not delivered by another that finishes it later', () => {
    const board = createBatchBoard(batchCount(items.length, 10));
    expect(takeBatch(board, 3)).toBe(true); // the main thread re-lints batch 3
    expect(takeBatch(board, 3)).toBe(false);
    const delivered: number[] = [];
    runBatch(items, 10, board, 3, sum, (index) => delivered.push(index)); // the worker's copy is dropped
    runBatch(items, 10, board, 4, sum, (index) => delivered.push(index));
    expect(delivered).toEqual([4]);
    expect(takeBatch(board, 4)).toBe(false); // delivered by the worker: the main thread waits for its message
  });
});
