// The package loads from ESM `import` and CommonJS `require` alike, with one
// set of classes: an error thrown under one is `instanceof` under the other.

import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import test from 'node:test'

import holdfast, { ERROR_CODES, Engine, HoldfastError, ManualClock, Tenant, Watch } from 'holdfast'

const require = createRequire(import.meta.url)

test('ESM named and default exports are the CommonJS exports', () => {
  const cjs = require('holdfast')
  assert.equal(Engine, cjs.Engine)
  assert.equal(Tenant, cjs.Tenant)
  assert.equal(Watch, cjs.Watch)
  assert.equal(ManualClock, cjs.ManualClock)
  assert.equal(HoldfastError, cjs.HoldfastError)
  assert.equal(ERROR_CODES, cjs.ERROR_CODES)
  assert.equal(holdfast, cjs)
  assert.equal(require('..'), cjs, 'the package main is the same module')
})

test('a flow from ESM, errors are HoldfastError under both', async () => {
  const engine = await Engine.open('sqlite::memory:', { clock: new ManualClock('2026-11-30T08:00:00Z') })
  await engine.createTenant('acme', 'Acme')
  const t = engine.tenant('acme')
  await t.createResource({ id: 'ada', name: 'Ada' })
  const b = await t.createBooking({ resourceId: 'ada', start: new Date('2026-12-01T09:00:00Z'), end: new Date('2026-12-01T17:00:00Z'), status: 'pencil' })
  try {
    await t.createBooking({ resourceId: 'ada', start: b.start, end: b.end, status: 'confirmed' })
    assert.fail('expected CONFLICT')
  } catch (e) {
    assert.ok(e instanceof HoldfastError)
    assert.ok(e instanceof require('holdfast').HoldfastError)
    assert.equal(e.code, 'CONFLICT')
    assert.equal(e.details.conflicts[0].id, b.id)
  }
  await engine.close()
})
