/**
 * The benchmark's GraphQL client: POSTs over loopback HTTP/1.1 with
 * keep-alive connections (at most `maxSockets` per server), as a gateway or
 * a browser fleet would. A call resolves once the whole response is read;
 * a non-200 status or a response with `errors` rejects. A request that
 * finds its reused idle connection closed by the server (ECONNRESET on a
 * reused socket, the keep-alive race after an idle pause) is sent again
 * once on a new connection, as Node's documentation advises.
 */
import { Agent, request } from 'node:http'

/** Requests that carry errors, kept for the first error message. */
export class GraphqlRequestError extends Error {}

/** A keep-alive GraphQL-over-HTTP client of one server. */
export class GraphqlHttpClient {
  private readonly agent: Agent
  private readonly target: URL

  constructor(url: string, maxSockets: number) {
    this.target = new URL(url)
    this.agent = new Agent({ keepAlive: true, maxSockets })
  }

  /** Sends a prepared JSON body (`graphqlBody`) and resolves with the raw response text. */
  post(body: string): Promise<string> {
    return this.send(body, true)
  }

  private send(body: string, mayRetry: boolean): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(
        { agent: this.agent, host: this.target.hostname, port: this.target.port, path: this.target.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            if (res.statusCode !== 200 || text.includes('"errors"')) reject(new GraphqlRequestError(`${this.target.href}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`))
            else resolve(text)
          })
          res.on('error', reject)
        },
      )
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (mayRetry && req.reusedSocket && error.code === 'ECONNRESET') this.send(body, false).then(resolve, reject)
        else reject(error)
      })
      req.end(body)
    })
  }

  /** Sends a body and parses the response. */
  async json<T = { data: unknown; extensions?: Record<string, unknown> }>(body: string): Promise<T> {
    return JSON.parse(await this.post(body)) as T
  }

  close(): void {
    this.agent.destroy()
  }
}

/** The JSON body of a GraphQL request. */
export function graphqlBody(query: string, variables?: Record<string, unknown>): string {
  return JSON.stringify(variables ? { query, variables } : { query })
}
