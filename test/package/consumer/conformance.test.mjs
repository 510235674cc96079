// graphql-cacheback/testing under node:test, on the packed package's MemoryStore.
import { afterEach, beforeEach, describe, it } from 'node:test'
import { MemoryStore } from 'graphql-cacheback'
import { storeConformance } from 'graphql-cacheback/testing'

storeConformance({ name: 'MemoryStore under node:test', makeStore: () => ({ store: new MemoryStore(), cleanup: async () => {} }), describe, it, beforeEach, afterEach })
