/** `graphql-cacheback/mercurius`: `mercuriusCacheback`, a Fastify plugin for Mercurius (peer: `mercurius`). */
export { mercuriusCacheback, type MercuriusCachebackOptions } from './plugin.js'
