'use strict'
// The package over PostgreSQL: run by scripts/test.sh in its PostgreSQL
// stage (not by the package's own `node --test`), which exports
// HOLDFAST_TEST_POSTGRES_APP_URL for an ordinary role on a throwaway server.

const assert = require('node:assert/strict')
const test = require('node:test')

const { Engine, HoldfastError } = require('../..')

const url = process.env.HOLDFAST_TEST_POSTGRES_APP_URL
// Every run has its own tenant: the database outlives one test run.
const tenantId = `node-${process.pid}-${Date.now()}`

test('a flow on PostgreSQL: create, conflict explained, confirm, events', async () => {
  assert.ok(url, 'HOLDFAST_TEST_POSTGRES_APP_URL must name the throwaway server')
  const engine = await Engine.open(url)
  try {
    await engine.createTenant(tenantId, 'Node on PostgreSQL')
    const t = engine.tenant(tenantId)
    await t.createResource({ id: 'ada', name: 'Ada', timezone: 'Europe/Berlin' })
    const b = await t.createBooking({
      resourceId: 'ada',
      start: '2026-12-01T09:00:00Z',
      end: '2026-12-01T17:00:00Z',
      status: 'pencil',
    })
    await assert.rejects(
      t.createBooking({ resourceId: 'ada', start: b.start, end: b.end, status: 'confirmed' }),
      (e) => e instanceof HoldfastError && e.code === 'CONFLICT' && e.details.conflicts[0].id === b.id,
    )
    const confirmed = await t.confirm(b.id, { expectedVersion: b.version })
    assert.equal(confirmed.status, 'confirmed')
    const events = await t.events(0, 100)
    assert.deepEqual(
      events.map((e) => e.type),
      ['tenant_created', 'resource_created', 'created', 'confirmed'],
    )
  } finally {
    await engine.close()
  }
})

test('several engines on one PostgreSQL: 40 concurrent creates of one slot, one wins', async () => {
  const engines = await Promise.all([Engine.open(url), Engine.open(url), Engine.open(url), Engine.open(url)])
  try {
    const tenants = engines.map((e) => e.tenant(tenantId))
    await tenants[0].createResource({ id: 'room', name: 'Room' })
    const attempts = Array.from({ length: 40 }, (_, i) =>
      tenants[i % tenants.length].createBooking({
        resourceId: 'room',
        start: '2026-12-02T09:00:00Z',
        end: '2026-12-02T10:00:00Z',
        status: 'confirmed',
      }),
    )
    const outcomes = await Promise.allSettled(attempts)
    const won = outcomes.filter((o) => o.status === 'fulfilled')
    const lost = outcomes.filter((o) => o.status === 'rejected')
    assert.equal(won.length, 1)
    assert.ok(lost.every((o) => o.reason instanceof HoldfastError && o.reason.code === 'CONFLICT'))
  } finally {
    await Promise.all(engines.map((e) => e.close()))
  }
})
