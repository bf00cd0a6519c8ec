'use strict'
// Every error code a Node caller can meet, by `.code` and `instanceof`;
// `details` as the core shapes them; argument errors rejected, not thrown.

const assert = require('node:assert/strict')
const path = require('node:path')
const test = require('node:test')

const { ERROR_CODES, Engine, HoldfastError, ManualClock } = require('..')
const { rejectsWith, studio, tempDir } = require('./helpers.js')

const start = new Date('2026-12-01T09:00:00Z')
const end = new Date('2026-12-01T10:00:00Z')

test('the codes are DESIGN.md\'s (section 4) minus the server-only ones', () => {
  assert.deepEqual([...ERROR_CODES].sort(), [
    'ALREADY_EXISTS',
    'CONFLICT',
    'HOLD_EXPIRED',
    'IDEMPOTENCY_MISMATCH',
    'INTERNAL',
    'INVALID_INPUT',
    'INVALID_TRANSITION',
    'LIMIT_EXCEEDED',
    'NOT_FOUND',
    'OUTSIDE_AVAILABILITY',
    'STORE_UNAVAILABLE',
    'VERSION_MISMATCH',
  ])
  const error = new HoldfastError('CONFLICT', 'm', { conflicts: [] })
  assert.ok(error instanceof Error)
  assert.equal(error.name, 'HoldfastError')
  assert.equal(String(error), 'HoldfastError: m')
})

test('INVALID_INPUT: naive or invalid instants, unconvertible numbers, wrong types', async () => {
  const { engine, tenant } = await studio()
  const naive = await rejectsWith(tenant.createBooking({ resourceId: 'ada', start: '2026-12-01T09:00:00', end }), 'INVALID_INPUT')
  assert.equal(naive.details.field, 'start')
  assert.match(naive.message, /offset/)
  const invalidDate = await rejectsWith(tenant.createBooking({ resourceId: 'ada', start, end: new Date('nonsense') }), 'INVALID_INPUT')
  assert.equal(invalidDate.details.field, 'end')
  const fraction = await rejectsWith(tenant.createBooking({ resourceId: 'ada', start, end, quantity: 1.5 }), 'INVALID_INPUT')
  assert.equal(fraction.details.field, 'quantity')
  const zero = await rejectsWith(tenant.createBooking({ resourceId: 'ada', start, end, quantity: 0 }), 'INVALID_INPUT')
  assert.equal(zero.details.field, 'quantity')
  const backwards = await rejectsWith(tenant.createBooking({ resourceId: 'ada', start: end, end: start }), 'INVALID_INPUT')
  assert.equal(backwards.details.field, 'end')
  const status = await rejectsWith(tenant.createBooking({ resourceId: 'ada', start, end, status: 'cancelled' }), 'INVALID_INPUT')
  assert.equal(status.details.field, 'status')
  const unknownStatus = await rejectsWith(tenant.listBookings({ statuses: ['hold', 'gone'] }), 'INVALID_INPUT')
  assert.equal(unknownStatus.details.field, 'statuses[1]')
  const weekday = await rejectsWith(tenant.setAvailability('ada', { weekly: [{ weekday: 'mon', start: '09:00', end: '17:00' }] }), 'INVALID_INPUT')
  assert.equal(weekday.details.field, 'weekly[0].weekday')
  await rejectsWith(tenant.utilization(start, end, 'week'), 'INVALID_INPUT')
  await rejectsWith(tenant.createApiKey({ role: 'root' }), 'INVALID_INPUT')
  await rejectsWith(tenant.extendHold('x', { holdTtlMs: 1, holdExpiresAt: end }), 'INVALID_INPUT')
  await rejectsWith(tenant.events(-1), 'INVALID_INPUT')
  await rejectsWith(engine.tenant('not a tenant id!').getBooking('b'), 'INVALID_INPUT')

  // Wrong JS types and missing fields are napi's to find; they reject too.
  const wrongType = await rejectsWith(tenant.getBooking(42), 'INVALID_INPUT')
  assert.match(wrongType.message, /String/)
  const missing = await rejectsWith(tenant.createBooking({ start, end }), 'INVALID_INPUT')
  assert.match(missing.message, /resourceId/)
  await rejectsWith(Engine.open(42), 'INVALID_INPUT')

  // A batch names the failing item, as the core does.
  const batch = await rejectsWith(tenant.createBookings([{ resourceId: 'ada', start, end }, { resourceId: 'ada', start: 'soon', end }]), 'INVALID_INPUT')
  assert.equal(batch.details.index, 1)
  assert.equal(batch.details.field, 'items[1].start')
  assert.equal((await tenant.listBookings()).items.length, 0, 'nothing of the batch was written')
  await engine.close()
})

test('INVALID_INPUT from synchronous calls is thrown as a HoldfastError', async () => {
  assert.throws(() => new ManualClock('2026-12-01T09:00:00'), (e) => e instanceof HoldfastError && e.code === 'INVALID_INPUT' && e.details.field === 'start')
  const clock = new ManualClock(start)
  assert.throws(() => clock.advance(0.0001), (e) => e instanceof HoldfastError && e.code === 'INVALID_INPUT')
  const { engine, tenant } = await studio()
  assert.throws(() => tenant.watch(1.5, () => {}), (e) => e instanceof HoldfastError && e.code === 'INVALID_INPUT')
  assert.throws(() => tenant.watch(0, 'not a function'), (e) => e instanceof HoldfastError && e.code === 'INVALID_INPUT')
  await engine.close()
})

test('NOT_FOUND: unknown ids, unknown tenants, other tenants\' rows', async () => {
  const { engine, tenant } = await studio()
  const booking = await rejectsWith(tenant.getBooking('nope'), 'NOT_FOUND')
  assert.deepEqual(booking.details, { entity: 'booking', id: 'nope' })
  await rejectsWith(tenant.createBooking({ resourceId: 'ghost', start, end }), 'NOT_FOUND')
  const unknownTenant = await rejectsWith(engine.tenant('nobody').listBookings(), 'NOT_FOUND')
  assert.equal(unknownTenant.details.entity, 'tenant')
  await engine.createTenant('other', 'Other')
  const mine = await tenant.createBooking({ resourceId: 'ada', start, end })
  await rejectsWith(engine.tenant('other').getBooking(mine.id), 'NOT_FOUND')
  await engine.close()
})

test('ALREADY_EXISTS: an id taken with a different body', async () => {
  const { engine, tenant } = await studio()
  const resource = await rejectsWith(tenant.createResource({ id: 'ada', name: 'Someone else' }), 'ALREADY_EXISTS')
  assert.deepEqual(resource.details, { entity: 'resource', id: 'ada' })
  await rejectsWith(engine.createTenant('acme', 'Another name'), 'ALREADY_EXISTS')
  await tenant.createBooking({ id: 'b1', resourceId: 'ada', start, end, status: 'pencil' })
  await rejectsWith(tenant.createBooking({ id: 'b1', resourceId: 'ada', start, end, status: 'confirmed' }), 'ALREADY_EXISTS')
  await engine.close()
})

test('CONFLICT names every booking in the way', async () => {
  const { engine, tenant } = await studio()
  const b = await tenant.createBooking({ resourceId: 'ada', start, end, status: 'pencil' })
  const error = await rejectsWith(tenant.createBooking({ resourceId: 'ada', start: b.start, end: b.end, status: 'confirmed' }), 'CONFLICT')
  assert.deepEqual(error.details, {
    resource_id: 'ada',
    conflicts: [{ id: b.id, resource_id: 'ada', status: 'pencil', interval: { start: '2026-12-01T09:00:00Z', end: '2026-12-01T10:00:00Z' }, quantity: 1 }],
  })
  await engine.close()
})

test('INVALID_TRANSITION: an action the state machine does not allow', async () => {
  const { engine, tenant } = await studio()
  const b = await tenant.createBooking({ resourceId: 'ada', start, end, status: 'confirmed' })
  const error = await rejectsWith(tenant.pencil(b.id), 'INVALID_TRANSITION')
  assert.deepEqual(error.details, { id: b.id, status: 'confirmed', action: 'pencil' })
  await tenant.cancel(b.id)
  await rejectsWith(tenant.confirm(b.id), 'INVALID_TRANSITION')
  await engine.close()
})

test('HOLD_EXPIRED: acting on a hold past its expiry', async () => {
  const { engine, tenant, clock } = await studio()
  const hold = await tenant.createBooking({ resourceId: 'ada', start, end, holdTtlMs: 60_000 })
  clock.advance(60_000)
  const error = await rejectsWith(tenant.confirm(hold.id), 'HOLD_EXPIRED')
  assert.deepEqual(error.details, { id: hold.id, expired_at: '2026-11-30T08:01:00Z' })
  assert.equal((await tenant.getBooking(hold.id)).status, 'expired', 'expired in the same transaction')
  await engine.close()
})

test('OUTSIDE_AVAILABILITY: a strict resource outside its hours', async () => {
  const { engine, tenant } = await studio()
  await tenant.setAvailability('ada', { policy: 'strict', weekly: [{ weekday: 'tuesday', start: '12:00', end: '18:00' }] })
  const error = await rejectsWith(tenant.createBooking({ resourceId: 'ada', start, end }), 'OUTSIDE_AVAILABILITY')
  assert.equal(error.details.resource_id, 'ada')
  assert.equal(error.details.reasons[0].kind, 'outside_hours')
  await engine.close()
})

test('IDEMPOTENCY_MISMATCH: one key, two requests', async () => {
  const { engine, tenant } = await studio({ capacity: 2 })
  await tenant.createBooking({ resourceId: 'ada', start, end, idempotencyKey: 'k' })
  const error = await rejectsWith(tenant.createBooking({ resourceId: 'ada', start, end, quantity: 2, idempotencyKey: 'k' }), 'IDEMPOTENCY_MISMATCH')
  assert.deepEqual(error.details, { idempotency_key: 'k' })
  await engine.close()
})

test('VERSION_MISMATCH carries the current version', async () => {
  const { engine, tenant } = await studio()
  const b = await tenant.createBooking({ resourceId: 'ada', start, end })
  await tenant.pencil(b.id)
  const error = await rejectsWith(tenant.confirm(b.id, { expectedVersion: 1 }), 'VERSION_MISMATCH')
  assert.equal(error.details.current_version, 2)
  assert.equal(error.details.expected_version, 1)
  await rejectsWith(tenant.updateResource('ada', { name: 'Ada L.' }, { expectedVersion: 7 }), 'VERSION_MISMATCH')
  await engine.close()
})

test('LIMIT_EXCEEDED: a limit of the core', async () => {
  const { engine, tenant } = await studio()
  const error = await rejectsWith(tenant.createBooking({ resourceId: 'ada', start, end, title: 'x'.repeat(256) }), 'LIMIT_EXCEEDED')
  assert.deepEqual(error.details, { field: 'title', max: 255, actual: 256 })
  await rejectsWith(tenant.listBookings({ limit: 1_001 }), 'LIMIT_EXCEEDED')
  await engine.close()
})

test('STORE_UNAVAILABLE: a store that cannot open, and a closed engine', async () => {
  const missingDir = path.join(tempDir(), 'no', 'such', 'dir', 'x.db')
  await rejectsWith(Engine.open(`sqlite://${missingDir}`), 'STORE_UNAVAILABLE')
  const { engine, tenant } = await studio()
  await engine.close()
  await rejectsWith(tenant.getBooking('b'), 'STORE_UNAVAILABLE')
  await rejectsWith(engine.createTenant('x', 'X'), 'STORE_UNAVAILABLE')
  assert.throws(() => engine.cacheStats(), (e) => e instanceof HoldfastError && e.code === 'STORE_UNAVAILABLE')
})

// INTERNAL is a bug by definition (DESIGN.md section 4: "never for bad
// input"), so no valid call reaches it; a row corrupted behind the engine's
// back does (the mapping of every core variant is also checked by the Rust
// unit test in src/error.rs). Needs the sqlite3 shell to corrupt the row.
test('INTERNAL: a stored row the engine cannot read', async (t) => {
  const { execFileSync } = require('node:child_process')
  try {
    execFileSync('sqlite3', ['-version'], { stdio: 'ignore' })
  } catch {
    t.skip('the sqlite3 shell is not installed')
    return
  }
  const { engine, tenant, url } = await studio()
  execFileSync('sqlite3', [url.slice('sqlite://'.length), "UPDATE resources SET timezone = 'Mars/Olympus' WHERE id = 'ada'"])
  const error = await rejectsWith(tenant.checkAvailability('ada', start, end), 'INTERNAL')
  assert.deepEqual(error.details, {})
  await engine.close()
})
