'use strict'
// 500 createBooking promises on one slot: exactly one wins, 499 are
// CONFLICT, and the event loop keeps serving while the calls wait on the
// store (they run on the libuv pool, never on the JS thread).

const assert = require('node:assert/strict')
const test = require('node:test')

const { HoldfastError } = require('..')
const { HOUR_MS, studio } = require('./helpers.js')

const CALLS = 500
const BATCH = 2_000

test(`${CALLS} concurrent creates on one slot: one booking, ${CALLS - 1} CONFLICT, loop responsive`, async () => {
  const { engine, tenant } = await studio()
  await tenant.createResource({ id: 'bob', name: 'Bob' })
  const slot = { resourceId: 'ada', start: '2026-12-01T09:00:00Z', end: '2026-12-01T10:00:00Z', status: 'confirmed' }

  // A big batch on another resource keeps a pool thread (and the store's
  // write lock) busy for tens of ms: time in which a JS thread blocked on
  // the store could not run the timer below.
  const base = Date.parse('2027-01-01T00:00:00Z')
  const items = Array.from({ length: BATCH }, (_, i) => ({
    resourceId: 'bob',
    start: new Date(base + i * HOUR_MS),
    end: new Date(base + i * HOUR_MS + HOUR_MS / 2),
    status: 'confirmed',
  }))
  const batch = tenant.createBookings(items)

  let ticks = 0
  const timer = setInterval(() => ticks++, 1)
  const calls = []
  for (let i = 0; i < CALLS; i++) {
    calls.push(tenant.createBooking({ ...slot, title: `attempt ${i}` }))
  }
  const [batched, ...results] = await Promise.allSettled([batch, ...calls])
  const ticksWhilePending = ticks
  clearInterval(timer)
  assert.equal(batched.value.length, BATCH)

  const fulfilled = results.filter((r) => r.status === 'fulfilled')
  const rejected = results.filter((r) => r.status === 'rejected')
  assert.equal(fulfilled.length, 1)
  assert.equal(rejected.length, CALLS - 1)
  for (const { reason } of rejected) {
    assert.ok(reason instanceof HoldfastError, String(reason))
    assert.equal(reason.code, 'CONFLICT')
    assert.deepEqual(reason.details.conflicts.map((c) => c.id), [fulfilled[0].value.id])
  }
  // Had the calls run on the JS thread, each would have settled inside the
  // loop above and `allSettled` would have resolved in microtasks: the
  // timer could not have fired once. How often it fires depends on how
  // fast the store is, so only "never" is a failure (a count of 10 broke
  // once the batch got faster and the window shorter).
  assert.ok(ticksWhilePending > 0, 'the 1 ms interval never fired while calls were pending')

  const stored = await tenant.listBookings({ resourceIds: ['ada'] })
  assert.deepEqual(stored.items.map((b) => b.id), [fulfilled[0].value.id])
  await engine.close()
})
