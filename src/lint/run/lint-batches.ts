/**
 * Work sharing for `rewind lint` threads: batches of files are numbered, and each thread claims the
 * next number with an atomic add on one shared counter, so a thread that started late (a worker
 * loading its parser) simply takes fewer batches. Results carry their batch number so the report
 * keeps file order whichever thread did the work.
 *
 * A batch is delivered by whoever marks it done first (an atomic compare-and-swap on its flag): when
 * the main thread runs out of batches to claim it lints again any batch a worker claimed but has not
 * finished, instead of waiting for a worker that a busy machine gives little CPU. Linting is
 * deterministic, so either copy is the same; the other one is dropped.
 */
export interface BatchBoard {
  /** [0]: the next batch number to claim. */
  counter: SharedArrayBuffer;
  /** One Int32 per batch: 0 while not delivered, 1 once a thread has taken the right to deliver it. */
  done: SharedArrayBuffer;
}

export function createBatchBoard(batches: number): BatchBoard {
  return { counter: new SharedArrayBuffer(4), done: new SharedArrayBuffer(4 * Math.max(1, batches)) };
}

export const batchCount = (items: number, batchSize: number): number => Math.ceil(items / batchSize);

/** Claims batches until none are left; `deliver` is called for each batch this thread marked done first. */
export function claimBatches<T, R>(items: readonly T[], batchSize: number, board: BatchBoard, work: (batch: readonly T[]) => R, deliver: (index: number, result: R) => void): void {
  const counter = new Int32Array(board.counter);
  const batches = batchCount(items.length, batchSize);
  for (let b = Atomics.add(counter, 0, 1); b < batches; b = Atomics.add(counter, 0, 1)) runBatch(items, batchSize, board, b, work, deliver);
}

/** Lints batch `index` and delivers it unless another thread already did (or is about to). */
export function runBatch<T, R>(items: readonly T[], batchSize: number, board: BatchBoard, index: number, work: (batch: readonly T[]) => R, deliver: (index: number, result: R) => void): void {
  const done = new Int32Array(board.done);
  if (Atomics.load(done, index) !== 0) return;
  const result = work(items.slice(index * batchSize, (index + 1) * batchSize));
  if (Atomics.compareExchange(done, index, 0, 1) === 0) deliver(index, result);
}

/** Takes the right to deliver batch `index` without linting it yet; false if another thread has it. */
export function takeBatch(board: BatchBoard, index: number): boolean {
  return Atomics.compareExchange(new Int32Array(board.done), index, 0, 1) === 0;
}
