import { rename, rm } from 'node:fs/promises';

/** The temporary name a dump is written under; renamed to its final name only when complete, so a recorded path is never half a dump. */
export const partialPath = (destination: string): string => `${destination}.partial`;

export async function finalize(destination: string): Promise<void> {
  await rename(partialPath(destination), destination);
}

export async function discardPartial(destination: string): Promise<void> {
  await rm(partialPath(destination), { recursive: true, force: true });
}
