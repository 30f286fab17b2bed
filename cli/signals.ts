// Waits for work to finish or for Ctrl-C / SIGTERM, whichever comes first, and removes its
// handlers afterwards so nothing keeps the process alive.

export async function untilSignal(
  work: Promise<unknown> = new Promise(() => undefined),
): Promise<'done' | NodeJS.Signals> {
  let cleanup = () => {};
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => resolve(signal);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    cleanup = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
  });
  try {
    return await Promise.race([work.then(() => 'done' as const), signalled]);
  } finally {
    cleanup();
  }
}
