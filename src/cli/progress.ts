/**
 * A one-line progress bar on stderr (`\r` on a terminal, a line per 10 % otherwise), for the
 * command line programs (`npm run import`, `npm run bench:data`). `unit` names what is counted
 * (`rows`, `MB`); `scale` divides the count for display (e.g. bytes shown as MB).
 */
export function progressBar(label: string, total: number, unit = 'rows', scale = 1): { set(n: number): void; done(): void } {
  const started = Date.now();
  const tty = process.stderr.isTTY;
  let count = 0;
  let lastDraw = 0;
  let lastDecile = -1;
  const shown = (n: number) => (scale === 1 ? n : n / scale).toLocaleString('en', { maximumFractionDigits: scale === 1 ? 0 : 1 });
  const draw = () => {
    const share = total ? count / total : 1;
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? count / seconds : 0;
    const eta = rate > 0 ? (total - count) / rate : 0;
    const width = 30;
    const bar = '#'.repeat(Math.round(Math.min(share, 1) * width)).padEnd(width, '.');
    return `${label} [${bar}] ${(share * 100).toFixed(0).padStart(3)}% ${shown(count)}/${shown(total)} ${unit}, ${shown(rate)} ${unit}/s, ETA ${eta.toFixed(0)} s`;
  };
  return {
    set(n) {
      count = n;
      if (tty) {
        if (Date.now() - lastDraw > 200) {
          process.stderr.write(`\r${draw()}`);
          lastDraw = Date.now();
        }
      } else if (total > 0 && Math.floor((count / total) * 10) > lastDecile) {
        lastDecile = Math.floor((count / total) * 10);
        process.stderr.write(`${draw()}\n`);
      }
    },
    done() {
      if (tty) process.stderr.write(`\r${draw()}\n`);
    },
  };
}
