// A progress bar for long imports: drawn in place on stderr, and only when stderr is a terminal
// (a pipe or a log file gets nothing).

const WIDTH = 30;

/** One frame: "label [#####.....] 2500/5000". */
export function renderBar(label: string, done: number, total: number, width = WIDTH): string {
  const part = total <= 0 ? 1 : Math.min(Math.max(done / total, 0), 1);
  const filled = Math.round(part * width);
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

export interface TtyStream {
  isTTY?: boolean;
  write(s: string): unknown;
}

/** An onProgress(done, total) callback that redraws the bar, ending the line when done. */
export function progressBar(label: string, stream: TtyStream = process.stderr): (done: number, total: number) => void {
  if (!stream.isTTY) return () => undefined;
  return (done, total) => {
    stream.write(`\r${renderBar(label, done, total)}`);
    if (done >= total) stream.write('\n');
  };
}
