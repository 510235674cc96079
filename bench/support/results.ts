/**
 * `bench/RESULTS.md`: a header (machine, Redis, date) and one section per
 * scenario between markers. A full run rewrites the file; a run of named
 * scenarios replaces only their sections and keeps the others.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import type { Scenario } from '../scenario.js'
import { type MachineDescription, machineLines } from './machine.js'

/** One scenario's section body (markdown), or why it did not run. */
export interface SectionContent {
  scenario: Scenario
  markdown: string
  /** When this section was produced (ISO). */
  date: string
  elapsedSeconds?: number
  /** 1-minute load average of the machine when the scenario started and ended (other work shares the cores). */
  load?: [number, number]
}

const CPUS = os.cpus().length
const begin = (name: string) => `<!-- scenario: ${name} -->`
const end = (name: string) => `<!-- /scenario: ${name} -->`

/** Renders one section with its markers. */
function section(content: SectionContent, partial: boolean): string {
  const when = partial ? `_Updated ${content.date} by \`npm run bench -- ${content.scenario.name}\`._\n\n` : ''
  const load = content.load ? `; load average (1 min) ${content.load[0].toFixed(1)} at the start, ${content.load[1].toFixed(1)} at the end, on ${CPUS} cores` : ''
  const took = content.elapsedSeconds === undefined ? '' : `\n\n_Scenario time: ${content.elapsedSeconds.toFixed(0)} s${load}._`
  return `${begin(content.scenario.name)}\n## ${content.scenario.name}\n\n${content.scenario.title}.\n\n${when}${content.markdown}${took}\n${end(content.scenario.name)}`
}

/** The whole file of a full run. */
export function renderResults(machine: MachineDescription, redisOrigin: string, date: string, rounds: number, sections: SectionContent[], totalSeconds: number): string {
  return [
    '# Benchmark results',
    '',
    `Produced by \`npm run bench\` on ${date} (${totalSeconds.toFixed(0)} s for the whole run, ${rounds} measured rounds per scenario). Reproduce with \`npm run bench\` (all) or \`npm run bench -- <scenario>\`; see \`bench/README.md\`.`,
    '',
    '## Machine',
    '',
    ...machineLines(machine).map((line) => `- ${line}`),
    `- Redis server: ${redisOrigin}, on the same machine (loopback); the benchmark process and Redis share the cores.`,
    '',
    ...sections.map((content) => `${section(content, false)}\n`),
  ].join('\n')
}

/** Writes a full run's file. */
export function writeResults(path: string, text: string): void {
  writeFileSync(path, text)
}

/**
 * Replaces the sections of the scenarios just run in an existing file
 * (appending those it lacks); without a file, writes a full one instead.
 */
export function updateResults(path: string, sections: SectionContent[], fullText: () => string): void {
  if (!existsSync(path)) {
    writeFileSync(path, fullText())
    return
  }
  let text = readFileSync(path, 'utf8')
  for (const content of sections) {
    const name = content.scenario.name
    const start = text.indexOf(begin(name))
    const stop = text.indexOf(end(name))
    const replacement = section(content, true)
    text = start >= 0 && stop > start ? text.slice(0, start) + replacement + text.slice(stop + end(name).length) : `${text.trimEnd()}\n\n${replacement}\n`
  }
  writeFileSync(path, text)
}
