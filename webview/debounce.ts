/** Calls `run` once `ms` after the last `schedule()`: a burst of keystrokes costs one request. */
export function debounce(run: () => void, ms: number): { schedule(): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cancel = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return {
    schedule() {
      cancel();
      timer = setTimeout(() => {
        timer = undefined;
        run();
      }, ms);
    },
    cancel,
  };
}
