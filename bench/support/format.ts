/** Number formatting and table rendering (console and markdown). */
import type { ScenarioReport, Table, TargetCheck } from '../scenario.js'

/** `123456` → `123,456`. */
export function int(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a'
}

/** Milliseconds with 2 decimals. */
export function ms(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : 'n/a'
}

/** A ratio as `1.23×`. */
export function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a'
}

/** Renders a table as aligned plain text. */
export function textTable(table: Table): string {
  const widths = table.columns.map((column, c) => Math.max(column.length, ...table.rows.map((row) => (row[c] ?? '').length)))
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')
  const out = [line(table.columns), widths.map((w) => '-'.repeat(w)).join('  '), ...table.rows.map(line)]
  return (table.title ? `${table.title}\n` : '') + out.join('\n')
}

/** Renders a table as GitHub markdown (first column left, others right aligned). */
export function markdownTable(table: Table): string {
  const row = (cells: string[]) => `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`
  const rule = `|${table.columns.map((_, c) => (c === 0 ? ' --- ' : ' ---: ')).join('|')}|`
  return [...(table.title ? [`**${table.title}**`, ''] : []), row(table.columns), rule, ...table.rows.map(row)].join('\n')
}

/** The targets as a table. */
export function targetTable(targets: readonly TargetCheck[]): Table {
  return {
    title: 'Targets',
    columns: ['target', 'wanted', 'this run', 'met'],
    rows: targets.map((t) => [t.name, t.target, t.actual, t.met ? 'yes' : 'NO']),
  }
}

/** A whole report as plain text for the console. */
export function textReport(report: ScenarioReport): string {
  const tables = [...report.tables, ...(report.targets.length ? [targetTable(report.targets)] : [])]
  return tables.map(textTable).join('\n\n')
}

/** A whole report as markdown. */
export function markdownReport(report: ScenarioReport): string {
  const tables = [...report.tables, ...(report.targets.length ? [targetTable(report.targets)] : [])]
  const notes = report.notes.map((note) => `- ${note}`)
  return [...tables.map(markdownTable), ...(notes.length ? [notes.join('\n')] : [])].join('\n\n')
}
