// What the signal tests share: the signals flowtx handles with the exit status each must give (128 + the
// signal's number, as a shell reports a process a signal ended), and a bounded wait for a condition.

export const SIGNAL_EXIT_CODES = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const;

/** Waits until `check` holds, polling every 20 ms; fails after 15 s, naming `what` it waited for. */
export async function until(check: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !check(); waited += 20) {
    if (waited > 15_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
