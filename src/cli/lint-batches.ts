/**
 * Work sharing for `rewind lint` threads without messages: batches of files are numbered, and each
 * thread claims the next number with an atomic add on one shared counter, so a thread that started
 * late (a worker loading its parser) simply takes fewer batches. Results carry their batch number
 * so the report keeps file order whichever thread did the work.
 */
export function claimBatches<T, R>(items: readonly T[], batchSize: number, counter: Int32Array, work: (batch: readonly T[]) => R): [number, R][] {
  const batches = Math.ceil(items.length / batchSize);
  const done: [number, R][] = [];
  for (let b = Atomics.add(counter, 0, 1); b < batches; b = Atomics.add(counter, 0, 1)) {
    done.push([b, work(items.slice(b * batchSize, (b + 1) * batchSize))]);
  }
  return done;
}
