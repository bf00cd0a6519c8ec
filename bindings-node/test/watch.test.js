'use strict'
// tenant.watch: the log from `since`, then live events, in seq order, once
// each; stop() and close() end it; it never keeps the process alive.

const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const test = require('node:test')
const { promisify } = require('node:util')

const { HoldfastError } = require('..')
const { HOUR_MS, studio, tempUrl, until } = require('./helpers.js')

const at = (hour) => new Date(Date.UTC(2026, 11, 1, hour))

test('resumes after `since`, then follows live writes, in order', async () => {
  const { engine, tenant } = await studio()
  await tenant.createBooking({ resourceId: 'ada', start: at(9), end: at(10) }) // seq 3
  const seen = []
  const watch = tenant.watch(2, (event) => seen.push(event))
  assert.equal(watch.active, true)
  await until(() => seen.length === 1, 5_000, 'the logged event')
  assert.equal(seen[0].seq, 3)
  assert.equal(seen[0].type, 'created')
  assert.ok(seen[0].at instanceof Date)

  const live = await tenant.createBooking({ resourceId: 'ada', start: at(11), end: at(12) })
  await tenant.confirm(live.id)
  await until(() => seen.length === 3, 5_000, 'the live events')
  assert.deepEqual(seen.map((e) => [e.seq, e.type]), [[3, 'created'], [4, 'created'], [5, 'confirmed']])
  assert.equal(seen[2].bookingId, live.id)
  watch.stop()
  assert.equal(watch.active, false)
  await engine.close()
})

test('no callback runs after stop(), even for events already on their way', async () => {
  const { engine, tenant } = await studio()
  await tenant.createBookings([0, 1, 2, 3, 4].map((i) => ({ resourceId: 'ada', start: at(i), end: at(i + 1) })))
  const first = []
  const watch = tenant.watch(0, (event) => {
    first.push(event.seq)
    watch.stop()
  })
  // A second watch reading the same log proves time for delivery passed.
  const second = []
  const witness = tenant.watch(0, (event) => second.push(event.seq))
  await until(() => second.length === 7, 5_000, 'the witness')
  assert.deepEqual(first, [1])
  witness.stop()
  await engine.close()
})

test('a burst larger than the in-process feed keeps (lag) is read back from the log', async () => {
  const { engine, tenant } = await studio()
  const seen = []
  const watch = tenant.watch(0, (event) => seen.push(event.seq))
  await until(() => seen.length === 2, 5_000, 'the first events')
  const base = Date.UTC(2027, 0, 1)
  const items = Array.from({ length: 5_000 }, (_, i) => ({ resourceId: 'ada', start: new Date(base + i * HOUR_MS), end: new Date(base + i * HOUR_MS + HOUR_MS / 2), status: 'confirmed' }))
  await tenant.createBookings(items)
  await until(() => seen.length === 5_002, 20_000, 'every event of the burst')
  assert.deepEqual(seen, Array.from({ length: 5_002 }, (_, i) => i + 1))
  watch.stop()
  await engine.close()
})

test('close() ends every watch; errors reach onError as HoldfastError', async () => {
  const { engine, tenant } = await studio()
  const watch = tenant.watch(0, () => {})
  const errors = []
  const failing = engine.tenant('nobody').watch(0, () => {}, { onError: (e) => errors.push(e), pollIntervalMs: 10 })
  await until(() => errors.length === 1 && !failing.active, 5_000, 'the NOT_FOUND error')
  assert.ok(errors[0] instanceof HoldfastError)
  assert.equal(errors[0].code, 'NOT_FOUND')
  assert.equal(errors[0].details.entity, 'tenant')

  assert.equal(watch.active, true)
  await engine.close()
  await until(() => !watch.active, 5_000, 'the watch to end')
  assert.throws(() => tenant.watch(0, () => {}, { pollIntervalMs: 1 }), (e) => e instanceof HoldfastError && e.code === 'INVALID_INPUT')
})

test('a watch never keeps the process alive', async () => {
  const url = tempUrl()
  // Neither stopped nor closed: the process must still exit by itself.
  const script = `
    const { Engine } = require(${JSON.stringify(require.resolve('..'))})
    ;(async () => {
      const engine = await Engine.open(${JSON.stringify(url)})
      await engine.createTenant('acme', 'Acme')
      let seen = 0
      engine.tenant('acme').watch(0, (event) => { seen++; console.log('event', event.seq) })
      // Alive until the event came; then only the watch is left.
      const wait = setInterval(() => {
        if (seen > 0) {
          clearInterval(wait)
          console.log('done')
        }
      }, 5)
    })()
  `
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { timeout: 20_000 })
  assert.match(stdout, /event 1/)
  assert.match(stdout, /done/)
})
