/**
 * Benchmark values: JSON-safe objects shaped like an API response (a user
 * profile with recent posts), sized by their JSON length so every contender,
 * whatever its serializer, stores the same data. Generated before any timed
 * loop, deterministically from the id.
 */
import { seededRandom } from './zipf.js'

/** A benchmark value. */
export interface Profile {
  id: number
  handle: string
  name: string
  verified: boolean
  createdAt: string
  followers: number
  following: number
  bio: string
  tags: string[]
  posts: { id: string; text: string; likes: number; reposts: number; postedAt: string }[]
}

const WORDS = ['cache', 'stale', 'fresh', 'redis', 'queue', 'worker', 'graph', 'field', 'value', 'entry', 'shard', 'lease', 'token', 'batch', 'event']

function words(rand: () => number, count: number): string {
  return Array.from({ length: count }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ')
}

/** A small value: `{ id, handle, bio }` whose JSON is `jsonBytes` long (at least ~40). */
export function makeSmallValue(id: number, jsonBytes: number): { id: number; handle: string; bio: string } {
  const value = { id, handle: `user_${id}`, bio: '' }
  const missing = jsonBytes - JSON.stringify(value).length
  value.bio = missing > 0 ? words(seededRandom(id + 1), Math.ceil(missing / 5)).slice(0, missing).padEnd(missing, '.') : ''
  return value
}

/**
 * A profile whose `JSON.stringify` is `jsonBytes` long (at least ~180),
 * varying in content with `id`.
 */
export function makeProfile(id: number, jsonBytes = 1024): Profile {
  const rand = seededRandom(id + 1)
  const day = (n: number): string => new Date(Date.UTC(2024, 0, 1) + n * 86_400_000).toISOString()
  const postCount = Math.max(0, Math.min(8, Math.floor((jsonBytes - 300) / 160)))
  const profile: Profile = {
    id,
    handle: `user_${id}`,
    name: `User ${id}`,
    verified: rand() < 0.2,
    createdAt: day(Math.floor(rand() * 1000)),
    followers: Math.floor(rand() * 100_000),
    following: Math.floor(rand() * 2_000),
    bio: '',
    tags: [words(rand, 1), words(rand, 1)],
    posts: Array.from({ length: postCount }, (_, n) => ({
      id: `${id}-${n}`,
      text: words(rand, 8),
      likes: Math.floor(rand() * 5_000),
      reposts: Math.floor(rand() * 500),
      postedAt: day(1000 + n),
    })),
  }
  const missing = jsonBytes - JSON.stringify(profile).length
  profile.bio = missing > 0 ? words(rand, Math.ceil(missing / 5)).slice(0, missing).padEnd(missing, '.') : ''
  return profile
}
