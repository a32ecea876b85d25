/** Resolves with the promise's value, or with `fallback` after `ms` (the timer is always cleared). */
export async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<F>((resolve) => (timer = setTimeout(resolve, ms, fallback))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The promise's value; rejects naming `what` when it has not settled `ms` after the call. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const late = Symbol("late");
  const value = await within(promise, ms, late);
  if (value === late) throw new Error(`${what}: not within ${ms} ms`);
  return value;
}

/** Resolves with the first truthy value of `poll`, checked every 20 ms; rejects after `timeoutMs`. */
export async function waitFor<T>(what: string, poll: () => T, timeoutMs: number): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = poll();
    if (value) return value;
    if (Date.now() >= deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
