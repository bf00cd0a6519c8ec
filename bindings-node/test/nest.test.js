'use strict'
// The NestJS-style service of test/nest/booking.service.ts, run: transpiled
// with the TypeScript compiler (a devDependency; `tsc --noEmit -p test`
// type-checks it in scripts/test.sh) and used the way a Nest app would.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const test = require('node:test')

const ts = require('typescript')
const { until } = require('./helpers.js')

/** The service compiled to CommonJS inside the package (so `holdfast` resolves to it). */
function loadService() {
  const source = fs.readFileSync(path.join(__dirname, 'nest', 'booking.service.ts'), 'utf8')
  const { outputText, diagnostics } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    reportDiagnostics: true,
  })
  assert.deepEqual(diagnostics, [])
  const dir = path.join(__dirname, '..', 'generated', 'nest')
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, 'booking.service.js')
  fs.writeFileSync(file, outputText)
  return require(file)
}

test('an injectable-style service over the engine', async () => {
  const { BookingService, HOLDFAST_ENGINE } = loadService()
  assert.equal(typeof HOLDFAST_ENGINE, 'symbol')

  const service = await BookingService.open('sqlite::memory:', 'acme')
  // Setup a Nest app would do in a migration or seed script.
  const { Engine } = require('holdfast')
  assert.ok(service.engine instanceof Engine)
  await service.engine.createTenant('acme', 'Acme')
  await service.engine.tenant('acme').createResource({ id: 'ada', name: 'Ada', timezone: 'Europe/Berlin' })

  const seen = []
  const unfollow = service.follow(0, (event) => seen.push(event.type))

  const request = { resourceId: 'ada', start: new Date('2026-12-01T09:00:00Z'), end: new Date('2026-12-01T17:00:00Z'), status: 'pencil' }
  const first = await service.book(request)
  assert.equal(first.ok, true)
  const second = await service.book({ ...request, status: 'confirmed' })
  assert.deepEqual(second, { ok: false, code: 'CONFLICT', conflicts: [first.booking.id], field: undefined })
  const naive = await service.book({ ...request, start: '2026-12-01T09:00:00' })
  assert.equal(naive.code, 'INVALID_INPUT')
  assert.equal(naive.field, 'start')

  const confirmed = await service.confirm(first.booking)
  assert.equal(confirmed.status, 'confirmed')
  const upcoming = await service.upcoming('ada', new Date('2026-12-01T00:00:00Z'), new Date('2026-12-02T00:00:00Z'))
  assert.deepEqual(upcoming.map((b) => b.id), [first.booking.id])

  await until(() => seen.length === 4, 5_000, 'the feed')
  assert.deepEqual(seen, ['tenant_created', 'resource_created', 'created', 'confirmed'])
  unfollow()
  assert.equal(service.lastFeedError, null)
  await service.onModuleDestroy()
  assert.equal(service.engine.closed, true)
})
