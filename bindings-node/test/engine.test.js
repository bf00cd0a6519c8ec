'use strict'
// One real flow per method of Engine, Tenant and ManualClock, through the
// package entry (`require('..')` is `holdfast.js`).

const assert = require('node:assert/strict')
const test = require('node:test')

const { Engine, ManualClock, Tenant } = require('..')
const { HOUR_MS, rejectsWith, studio, tempUrl } = require('./helpers.js')

const DAY = '2026-12-01' // a Tuesday; Berlin is UTC+1 in December
const at = (time) => new Date(`${DAY}T${time}Z`)

test('Engine.open, createTenant, tenant, now, ping, cacheStats, close', async () => {
  const clock = new ManualClock('2026-11-30T08:00:00Z')
  const opening = Engine.open(tempUrl(), { clock, busyTimeoutMs: 2_000, poolSize: 4, cacheEntries: 64, defaultHoldTtlMs: 60_000 })
  assert.ok(opening instanceof Promise)
  const engine = await opening
  assert.ok(engine instanceof Engine)
  assert.equal(engine.closed, false)

  const info = await engine.createTenant('acme', 'Acme Studio')
  assert.deepEqual(info, { id: 'acme', name: 'Acme Studio', createdAt: new Date('2026-11-30T08:00:00Z') })
  assert.deepEqual(await engine.createTenant('acme', 'Acme Studio'), info, 'repeating a create returns the tenant')

  const tenant = engine.tenant('acme')
  assert.ok(tenant instanceof Tenant)
  assert.equal(tenant.id, 'acme')
  assert.deepEqual(engine.now(), new Date('2026-11-30T08:00:00Z'))
  assert.equal(await engine.ping(), undefined)

  await tenant.createResource({ id: 'ada', name: 'Ada' })
  await tenant.checkAvailability('ada', at('09:00:00'), at('10:00:00'))
  await tenant.checkAvailability('ada', at('09:00:00'), at('10:00:00'))
  const stats = engine.cacheStats()
  assert.equal(stats.capacity, 64)
  assert.ok(stats.hits >= 1 && stats.misses >= 1, JSON.stringify(stats))

  // The default hold TTL of the options applies.
  const hold = await tenant.createBooking({ resourceId: 'ada', start: at('09:00:00'), end: at('10:00:00') })
  assert.deepEqual(hold.holdExpiresAt, new Date('2026-11-30T08:01:00Z'))

  await engine.close()
  assert.equal(engine.closed, true)
  await engine.close() // harmless
  await rejectsWith(tenant.getBooking(hold.id), 'STORE_UNAVAILABLE')
})

test('ManualClock: set, advance, now', () => {
  const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'))
  clock.advance(1_500)
  assert.deepEqual(clock.now(), new Date('2026-01-01T00:00:01.500Z'))
  clock.set('2026-06-01T12:00:00+02:00')
  assert.deepEqual(clock.now(), new Date('2026-06-01T10:00:00Z'))
})

test('resources: create, get, list with paging, update with expected version', async () => {
  const { engine, tenant } = await studio()
  const room = await tenant.createResource({
    id: 'room-1',
    name: 'Room 1',
    kind: 'room',
    capacity: 3,
    timezone: 'Europe/Berlin',
    tags: ['audio', 'large'],
    bufferBeforeMs: 15 * 60_000,
    bufferAfterMs: 1.5,
    metadata: { floor: 2 },
  })
  assert.deepEqual(
    { ...room, createdAt: undefined, updatedAt: undefined },
    {
      id: 'room-1',
      name: 'Room 1',
      kind: 'room',
      capacity: 3,
      timezone: 'Europe/Berlin',
      tags: ['audio', 'large'],
      bufferBeforeMs: 900_000,
      bufferAfterMs: 1.5,
      active: true,
      metadata: { floor: 2 },
      version: 1,
      createdAt: undefined,
      updatedAt: undefined,
    },
  )
  assert.ok(room.createdAt instanceof Date)
  const generated = await tenant.createResource({ name: 'Unnamed' })
  assert.match(generated.id, /^[0-9a-f-]{36}$/)
  assert.equal(generated.kind, 'resource')
  assert.equal(generated.capacity, 1)

  assert.deepEqual(await tenant.getResource('room-1'), room)

  const first = await tenant.listResources({ limit: 2 })
  assert.equal(first.items.length, 2)
  assert.equal(typeof first.nextCursor, 'string')
  const rest = await tenant.listResources({ limit: 2, cursor: first.nextCursor })
  assert.deepEqual([...first.items, ...rest.items].map((r) => r.id).sort(), ['ada', generated.id, 'room-1'].sort())
  assert.equal(rest.nextCursor, null)
  assert.equal((await tenant.listResources()).items.length, 3)

  const updated = await tenant.updateResource('room-1', { capacity: 4, tags: [] }, { expectedVersion: 1 })
  assert.equal(updated.capacity, 4)
  assert.deepEqual(updated.tags, [])
  assert.equal(updated.version, 2)
  assert.equal(updated.name, 'Room 1', 'absent fields keep their value')
  await engine.close()
})

test('availability: set, get, check with every reason, free/busy, slots', async () => {
  const { engine, tenant } = await studio()
  const defaults = await tenant.getAvailability('ada')
  assert.equal(defaults.version, 0)
  assert.equal(defaults.updatedAt, null)
  assert.equal(defaults.weekly.length, 7)

  const weekdays = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday']
  const rules = await tenant.setAvailability(
    'ada',
    {
      policy: 'strict',
      weekly: weekdays.map((weekday) => ({ weekday, start: '09:00', end: '18:00' })),
      overrides: [{ date: '2026-12-24', hours: [] }, { date: '2026-12-05', hours: [{ start: '10:00', end: '14:00' }] }],
    },
    { expectedVersion: 0 },
  )
  assert.equal(rules.version, 1)
  assert.equal(rules.policy, 'strict')
  assert.deepEqual(rules.weekly[0], { weekday: 'monday', start: '09:00', end: '18:00' })
  assert.deepEqual(rules.overrides.find((o) => o.date === '2026-12-24'), { date: '2026-12-24', hours: [] })
  assert.deepEqual(await tenant.getAvailability('ada'), rules)

  // 07:00-09:00Z is 08:00-10:00 Berlin: the first hour is outside hours.
  const booking = await tenant.createBooking({ resourceId: 'ada', start: at('08:00:00'), end: at('09:00:00'), status: 'confirmed' })
  const check = await tenant.checkAvailability('ada', at('07:00:00'), at('09:00:00'), 1)
  assert.equal(check.available, false)
  assert.equal(check.bookable, false)
  assert.equal(check.policy, 'strict')
  assert.deepEqual(check.interval, { start: at('07:00:00'), end: at('09:00:00') })
  const kinds = check.reasons.map((r) => r.kind).sort()
  assert.deepEqual(kinds, ['conflict', 'outside_hours'])
  const conflict = check.reasons.find((r) => r.kind === 'conflict')
  assert.equal(conflict.id, booking.id)
  assert.equal(conflict.status, 'confirmed')
  assert.deepEqual(conflict.interval, { start: at('08:00:00'), end: at('09:00:00') })
  const outside = check.reasons.find((r) => r.kind === 'outside_hours')
  assert.deepEqual(outside.intervals, [{ start: at('07:00:00'), end: at('08:00:00') }])
  const closed = await tenant.checkAvailability('ada', '2026-12-24T09:00:00Z', '2026-12-24T10:00:00Z')
  assert.ok(closed.reasons.some((r) => r.kind === 'closed_override' && r.date === '2026-12-24'))
  const tooMany = await tenant.checkAvailability('ada', at('10:00:00'), at('11:00:00'), 2)
  assert.ok(tooMany.reasons.some((r) => r.kind === 'quantity_above_capacity' && r.quantity === 2 && r.capacity === 1))

  const [freeBusy] = await tenant.freeBusy(['ada'], `${DAY}T00:00:00Z`, '2026-12-02T00:00:00Z')
  assert.equal(freeBusy.resourceId, 'ada')
  assert.equal(freeBusy.capacity, 1)
  assert.deepEqual(freeBusy.busy, [
    { start: at('08:00:00'), end: at('09:00:00'), bookingId: booking.id, status: 'confirmed', quantity: 1 },
  ])
  assert.deepEqual(freeBusy.hours, [{ start: at('08:00:00'), end: at('17:00:00') }])
  assert.deepEqual(freeBusy.free, [{ start: at('09:00:00'), end: at('17:00:00') }])

  const slots = await tenant.findSlots({ resourceIds: ['ada'], start: `${DAY}T00:00:00Z`, end: '2026-12-02T00:00:00Z', durationMs: 2 * HOUR_MS, limit: 2 })
  // Starts align to the shift's opening (08:00Z) in steps of the duration.
  assert.deepEqual(slots, [
    { resourceId: 'ada', start: at('10:00:00'), end: at('12:00:00'), parts: [{ start: at('10:00:00'), end: at('12:00:00') }] },
    { resourceId: 'ada', start: at('12:00:00'), end: at('14:00:00'), parts: [{ start: at('12:00:00'), end: at('14:00:00') }] },
  ])
  const days = await tenant.findSlots({ tag: undefined, resourceIds: ['ada'], start: `${DAY}T00:00:00Z`, end: '2026-12-10T00:00:00Z', workingDays: 2, limit: 1, perResource: true })
  assert.equal(days.length, 1)
  assert.equal(days[0].parts.length, 2)
  await engine.close()
})

test('projects: create, get, list', async () => {
  const { engine, tenant } = await studio()
  const film = await tenant.createProject({ id: 'film', name: 'The Film', metadata: { budget: 10 } })
  assert.equal(film.version, 1)
  assert.deepEqual(film.metadata, { budget: 10 })
  assert.deepEqual(await tenant.createProject({ id: 'film', name: 'The Film', metadata: { budget: 10 } }), film)
  assert.deepEqual(await tenant.getProject('film'), film)
  await tenant.createProject({ name: 'Other' })
  const page = await tenant.listProjects({ limit: 10 })
  assert.equal(page.items.length, 2)
  assert.equal(page.nextCursor, null)
  await engine.close()
})

test('bookings: create (Date and ISO string), batch, get, list, and every action', async () => {
  const { engine, tenant, clock } = await studio({ capacity: 2 })
  await tenant.createProject({ id: 'film', name: 'The Film' })

  // Microsecond digits of a string are kept by the core; a Date carries ms.
  const pencil = await tenant.createBooking({
    resourceId: 'ada',
    start: '2026-12-01T10:00:00.123456+01:00',
    end: at('12:00:00'),
    status: 'pencil',
    projectId: 'film',
    title: 'Shoot',
    notes: 'bring lights',
    metadata: { scene: 4 },
    idempotencyKey: 'k1',
  })
  assert.deepEqual(pencil.start, new Date('2026-12-01T09:00:00.123Z'))
  assert.equal(pencil.status, 'pencil')
  assert.equal(pencil.quantity, 1)
  assert.equal(pencil.holdExpiresAt, null)
  assert.equal(pencil.projectId, 'film')
  assert.equal(pencil.title, 'Shoot')
  assert.equal(pencil.notes, 'bring lights')
  assert.deepEqual(pencil.metadata, { scene: 4 })
  assert.equal(pencil.idempotencyKey, 'k1')
  assert.equal(pencil.version, 1)
  const replay = await tenant.createBooking({
    resourceId: 'ada',
    start: '2026-12-01T10:00:00.123456+01:00',
    end: at('12:00:00'),
    status: 'pencil',
    projectId: 'film',
    title: 'Shoot',
    notes: 'bring lights',
    metadata: { scene: 4 },
    idempotencyKey: 'k1',
  })
  assert.deepEqual(replay, pencil, 'same key, same body: the first result')

  const hold = await tenant.createBooking({ id: 'h1', resourceId: 'ada', start: at('09:00:00'), end: at('10:00:00'), holdTtlMs: 30 * 60_000 })
  assert.equal(hold.id, 'h1')
  assert.equal(hold.status, 'hold')
  assert.deepEqual(hold.holdExpiresAt, new Date('2026-11-30T08:30:00Z'))

  const batch = await tenant.createBookings([
    { resourceId: 'ada', start: at('13:00:00'), end: at('14:00:00'), status: 'confirmed' },
    { resourceId: 'ada', start: at('13:00:00'), end: at('14:00:00'), quantity: 1, holdExpiresAt: '2026-11-30T09:00:00Z' },
  ])
  assert.deepEqual(batch.map((b) => b.status), ['confirmed', 'hold'])
  assert.deepEqual(batch[1].holdExpiresAt, new Date('2026-11-30T09:00:00Z'))

  assert.deepEqual(await tenant.getBooking('h1'), hold)

  const holds = await tenant.listBookings({ statuses: ['hold'] })
  assert.deepEqual(holds.items.map((b) => b.id).sort(), ['h1', batch[1].id].sort())
  const window = await tenant.listBookings({ resourceIds: ['ada'], start: at('12:30:00'), end: at('23:00:00'), limit: 1 })
  assert.equal(window.items.length, 1)
  const next = await tenant.listBookings({ resourceIds: ['ada'], start: at('12:30:00'), end: at('23:00:00'), limit: 1, cursor: window.nextCursor })
  assert.equal(next.items.length, 1)
  assert.notEqual(next.items[0].id, window.items[0].id)
  assert.equal((await tenant.listBookings({ projectId: 'film' })).items.length, 1)
  assert.equal((await tenant.listBookings()).items.length, 4)

  // hold -> pencil -> confirmed -> rescheduled -> cancelled
  const pencilled = await tenant.pencil('h1', { expectedVersion: 1 })
  assert.equal(pencilled.status, 'pencil')
  assert.equal(pencilled.holdExpiresAt, null)
  const confirmed = await tenant.confirm('h1', { expectedVersion: 2 })
  assert.equal(confirmed.status, 'confirmed')
  await tenant.createResource({ id: 'bob', name: 'Bob' })
  const moved = await tenant.reschedule('h1', { start: at('15:00:00'), end: '2026-12-01T17:00:00+01:00', resourceId: 'bob' }, { expectedVersion: 3 })
  assert.equal(moved.resourceId, 'bob')
  assert.deepEqual([moved.start, moved.end], [at('15:00:00'), at('16:00:00')])
  assert.equal(moved.status, 'confirmed')
  const cancelled = await tenant.cancel('h1')
  assert.equal(cancelled.status, 'cancelled')
  assert.equal(cancelled.version, 5)

  // hold: extended (TTL, instant, default), then declined
  const second = batch[1]
  clock.advance(60_000)
  const byTtl = await tenant.extendHold(second.id, { holdTtlMs: 10 * 60_000 })
  assert.deepEqual(byTtl.holdExpiresAt, new Date('2026-11-30T08:11:00Z'))
  const byInstant = await tenant.extendHold(second.id, { holdExpiresAt: new Date('2026-11-30T10:00:00Z') }, { expectedVersion: 2 })
  assert.deepEqual(byInstant.holdExpiresAt, new Date('2026-11-30T10:00:00Z'))
  const byDefault = await tenant.extendHold(second.id)
  assert.deepEqual(byDefault.holdExpiresAt, new Date('2026-11-30T08:16:00Z'), 'the core default: 15 min from now')
  const declined = await tenant.decline(second.id)
  assert.equal(declined.status, 'declined')
  await engine.close()
})

test('log: history, events, asActor', async () => {
  const { engine, tenant } = await studio()
  const booking = await tenant.asActor('ops@acme').createBooking({ resourceId: 'ada', start: at('09:00:00'), end: at('10:00:00') })
  await tenant.confirm(booking.id)

  const history = await tenant.history(booking.id)
  assert.deepEqual(history.map((e) => [e.type, e.actor]), [['created', 'ops@acme'], ['confirmed', 'api']])
  assert.equal(history[0].bookingId, booking.id)
  assert.equal(history[0].tenantId, 'acme')
  assert.ok(history[0].at instanceof Date)
  assert.equal(history[0].data.booking.id, booking.id, 'data is the logged JSON')

  const all = await tenant.events(0)
  assert.deepEqual(all.map((e) => e.seq), [1, 2, 3, 4])
  assert.deepEqual(all.map((e) => e.type), ['tenant_created', 'resource_created', 'created', 'confirmed'])
  assert.equal(all[0].bookingId, null)
  assert.deepEqual((await tenant.events(2, 1)).map((e) => e.seq), [3])
  await engine.close()
})

test('reports: utilization by resource, project and day', async () => {
  const { engine, tenant } = await studio()
  await tenant.setAvailability('ada', { weekly: [{ weekday: 'tuesday', start: '09:00', end: '17:00' }] })
  await tenant.createProject({ id: 'film', name: 'Film' })
  await tenant.createBooking({ resourceId: 'ada', start: at('08:00:00'), end: at('10:00:00'), status: 'confirmed', projectId: 'film' })
  await tenant.createBooking({ resourceId: 'ada', start: at('10:00:00'), end: at('11:00:00'), status: 'pencil' })

  const [byResource] = await tenant.utilization(`${DAY}T00:00:00Z`, '2026-12-02T00:00:00Z', 'resource')
  assert.deepEqual(byResource, {
    group: 'ada',
    availableMs: 8 * HOUR_MS,
    holdMs: 0,
    pencilMs: HOUR_MS,
    confirmedMs: 2 * HOUR_MS,
    bookedInHoursMs: 3 * HOUR_MS,
    utilization: 3 / 8,
  })
  const byProject = await tenant.utilization(`${DAY}T00:00:00Z`, '2026-12-02T00:00:00Z', 'project')
  assert.deepEqual(byProject.map((r) => [r.group, r.availableMs, r.confirmedMs + r.pencilMs]), [['', null, HOUR_MS], ['film', null, 2 * HOUR_MS]])
  const byDay = await tenant.utilization(`${DAY}T00:00:00+01:00`, '2026-12-02T00:00:00+01:00', 'day')
  assert.deepEqual(byDay.map((r) => r.group), ['2026-12-01'])
  await engine.close()
})

test('API keys: create, list, authenticate, revoke', async () => {
  const { engine, tenant } = await studio()
  const issued = await tenant.createApiKey({ role: 'manager', name: 'ci' })
  assert.match(issued.token, /^hf_/)
  assert.equal(issued.key.role, 'manager')
  assert.equal(issued.key.tenantId, 'acme')
  assert.equal(issued.key.revokedAt, null)
  const bound = await tenant.createApiKey({ role: 'resource', resourceId: 'ada' })
  assert.equal(bound.key.resourceId, 'ada')
  assert.equal(bound.key.name, '')

  assert.deepEqual(await engine.authenticate(issued.token), issued.key)
  assert.equal(await engine.authenticate('hf_nonsense'), null)

  const page = await tenant.listApiKeys({ limit: 1 })
  assert.equal(page.items.length, 1)
  assert.equal((await tenant.listApiKeys({ cursor: page.nextCursor })).items.length, 1)

  const revoked = await tenant.revokeApiKey(issued.key.id)
  assert.ok(revoked.revokedAt instanceof Date)
  assert.equal(await engine.authenticate(issued.token), null)
  await engine.close()
})

test('sweepExpired turns passed holds into expired', async () => {
  const { engine, tenant, clock } = await studio()
  const hold = await tenant.createBooking({ resourceId: 'ada', start: at('09:00:00'), end: at('10:00:00'), holdTtlMs: 60_000 })
  assert.equal(await engine.sweepExpired(), 0)
  clock.advance(60_001)
  assert.equal(await engine.sweepExpired(), 1)
  assert.equal((await tenant.getBooking(hold.id)).status, 'expired')
  await engine.close()
})
