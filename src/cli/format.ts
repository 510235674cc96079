/** Terminal output of the ops commands: aligned tables and short figures. */

/** Columns padded to their widest cell; the first column left-aligned, the rest right-aligned. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((row) => row.map(String))]
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)))
  return cells.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd()).join('\n')
}

/** `310 ms`, `1.2 s`, `–` for unknown. */
export function duration(ms: number | undefined): string {
  if (ms === undefined) return '–'
  if (ms < 10) return `${ms.toFixed(1)} ms`
  return ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`
}

/** `95.2 %`, `–` for unknown. */
export function percent(ratio: number | undefined): string {
  return ratio === undefined ? '–' : `${(ratio * 100).toFixed(1)} %`
}

/** `label n, label n` of a count map, largest first; `none` when empty. */
export function counts(map: Record<string, number>): string {
  const entries = Object.entries(map).sort((a, b) => b[1] - a[1])
  return entries.length ? entries.map(([label, n]) => `${label} ${n}`).join(', ') : 'none'
}

/** ISO time of a ms epoch. */
export const iso = (ms: number): string => new Date(ms).toISOString()
