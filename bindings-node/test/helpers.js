'use strict'
// Shared by the tests (not a test file itself: the runner is given *.test.*).

const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const { Engine, HoldfastError, ManualClock } = require('..')

const tempDirs = []
process.on('exit', () => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true })
})

/** A fresh directory, removed when the process exits. */
function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'holdfast-node-'))
  tempDirs.push(dir)
  return dir
}

/** A new SQLite file URL in a fresh directory. */
function tempUrl(name = 'test.db') {
  return `sqlite://${path.join(tempDir(), name)}`
}

/**
 * An engine on a fresh file with tenant `acme` and resource `ada`
 * (capacity 1, Europe/Berlin), on a manual clock standing at `now`.
 */
async function studio({ now = '2026-11-30T08:00:00Z', url = tempUrl(), ...resource } = {}) {
  const clock = new ManualClock(now)
  const engine = await Engine.open(url, { clock })
  await engine.createTenant('acme', 'Acme Studio')
  const tenant = engine.tenant('acme')
  await tenant.createResource({ id: 'ada', name: 'Ada', timezone: 'Europe/Berlin', ...resource })
  return { engine, tenant, clock, url }
}

/** Asserts that `promise` rejects with a `HoldfastError` of `code`; returns it. */
async function rejectsWith(promise, code) {
  assert.ok(promise instanceof Promise, 'an I/O call returns a promise, also when it fails')
  let error
  try {
    await promise
  } catch (e) {
    error = e
  }
  assert.ok(error, `expected ${code}, but the call succeeded`)
  assert.ok(error instanceof HoldfastError, `expected a HoldfastError, got ${error}`)
  assert.ok(error instanceof Error)
  assert.equal(error.name, 'HoldfastError')
  assert.equal(error.code, code, error.message)
  assert.equal(typeof error.message, 'string')
  assert.ok(error.message.length > 0)
  assert.equal(typeof error.details, 'object')
  return error
}

/** Resolves once `predicate()` holds, checking every few ms; fails after `timeoutMs`. */
async function until(predicate, timeoutMs = 10_000, what = 'condition') {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** A small seeded PRNG (mulberry32), so a failing run can be replayed. */
function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Highest sum of `quantity` over any instant, for [start, end) items. */
function peakUsage(items) {
  const edges = []
  for (const { start, end, quantity } of items) {
    edges.push([start.getTime(), quantity], [end.getTime(), -quantity])
  }
  // Ends before starts at the same instant: half-open intervals.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let usage = 0
  let peak = 0
  for (const [, delta] of edges) {
    usage += delta
    peak = Math.max(peak, usage)
  }
  return peak
}

const HOUR_MS = 3_600_000

module.exports = { HOUR_MS, peakUsage, rejectsWith, rng, studio, tempDir, tempUrl, until }
