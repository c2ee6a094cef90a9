/**
 * Waits until `floorMs` have passed since `startedAt`, so an answer takes about the same time
 * whatever work it did (or did not do) — e.g. whether an email exists.
 */
export async function padTo(startedAt: number, floorMs: number): Promise<void> {
  const left = floorMs - (performance.now() - startedAt);
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left + Math.random() * 10));
}
