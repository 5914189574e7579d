/**
 * For scripts that keep something running until Ctrl-C (`npm run stack:prod`, the PostgreSQL
 * cluster CLI): the first SIGINT or SIGTERM stops it once and exits 0, or 1 when stopping failed.
 */
export function stopOnSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
