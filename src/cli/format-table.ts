/**
 * Fixed-width text tables that can be printed row by row: column widths are decided up front, so
 * results stream out as they are ready instead of waiting for the last one.
 */
export interface Column {
  title: string;
  /** Minimum width; the title's length always fits. */
  width: number;
  align: 'left' | 'right';
}

export interface Table {
  header(): string;
  row(cells: readonly string[]): string;
}

const GAP = '  ';

export function table(columns: readonly Column[]): Table {
  const widths = columns.map((c) => Math.max(c.width, c.title.length));
  const line = (cells: readonly string[]): string =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? '';
        return c.align === 'right' ? cell.padStart(widths[i]) : cell.padEnd(widths[i]);
      })
      .join(GAP)
      .trimEnd();
  return {
    header: () => `${line(columns.map((c) => c.title))}\n`,
    row: (cells) => `${line(cells)}\n`,
  };
}

/** A probability as a percentage with two decimals; tiny non-zero values are not shown as 0. */
export function formatPercent(p: number): string {
  const pct = p * 100;
  if (pct > 0 && pct < 0.01) return '<0.01%';
  return `${pct.toFixed(2)}%`;
}
