/**
 * What a benchmark scenario is. One file per scenario in `scenarios/`, listed
 * in `scenarios/index.ts`; the runner (`run.ts`) gives each a context and
 * prints and records the report it returns.
 */

/** What the runner hands a scenario. */
export interface ScenarioContext {
  /** The Redis every contender uses (`redis://host:port`). */
  redisUrl: string
  /** How many measured rounds to run (contenders interleaved round-robin). */
  rounds: number
  /** Key prefix unique to this scenario run; keys under it are removed afterwards. */
  prefix: string
  /** Progress output (stderr), not part of the results. */
  log(message: string): void
}

/** A table of results. Cells are preformatted strings. */
export interface Table {
  title?: string
  columns: string[]
  rows: string[][]
}

/** One target of the issue, checked against this run's numbers. */
export interface TargetCheck {
  /** What is compared, e.g. `ops/s vs bentocache`. */
  name: string
  /** The target, e.g. `≥ 1.2×`. */
  target: string
  /** This run's value, e.g. `1.43×`. */
  actual: string
  met: boolean
}

/** What a scenario returns. */
export interface ScenarioReport {
  tables: Table[]
  targets: TargetCheck[]
  /** Method notes printed under the tables (how things were counted, settings). */
  notes: string[]
}

/** One benchmark scenario. */
export interface Scenario {
  /** CLI name: `npm run bench -- <name>`. */
  name: string
  /** One line saying what it measures. */
  title: string
  /** When set, the scenario is registered but not runnable yet; says what it waits for. */
  pending?: string
  run?(context: ScenarioContext): Promise<ScenarioReport>
}
