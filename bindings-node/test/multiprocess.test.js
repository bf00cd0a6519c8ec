'use strict'
// Two Node processes race on one SQLite file (creates, cancels and
// reschedules on three resources, eight calls in flight each) while this
// process watches the tenant's feed. Afterwards: no instant of any
// resource is over capacity, every booking a process was told about is
// stored as it was told, the log is gap-free, and the watch saw all of it
// in order. Replay a failing run with HOLDFAST_SEED=<seed>.

const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const path = require('node:path')
const test = require('node:test')

const { Engine } = require('..')
const { peakUsage, tempUrl, until } = require('./helpers.js')

const OPERATIONS = 1_000
const RESOURCES = [
  { id: 'r0', name: 'Exclusive', capacity: 1 },
  { id: 'r1', name: 'Pair', capacity: 2 },
  { id: 'r2', name: 'Buffered pair', capacity: 2, bufferBeforeMs: 15 * 60_000, bufferAfterMs: 30 * 60_000 },
]

async function allPages(list) {
  const items = []
  let cursor
  do {
    const page = await list(cursor)
    items.push(...page.items)
    cursor = page.nextCursor ?? undefined
  } while (cursor)
  return items
}

/** Starts a racer; resolves `{ ready, done }`: ready once its engine is open. */
function startRacer(url, seed) {
  const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'racer.js'), url, String(seed), String(OPERATIONS)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  let stdout = ''
  const ready = new Promise((resolve) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      if (stdout.startsWith('ready\n')) resolve()
    })
  })
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill(), 120_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      code === 0 ? resolve(JSON.parse(stdout.slice('ready\n'.length))) : reject(new Error(`racer ${seed} exited with ${code}`))
    })
  })
  return { child, ready, done }
}

async function allEvents(tenant) {
  const events = []
  for (;;) {
    const page = await tenant.events(events.at(-1)?.seq ?? 0, 1_000)
    if (page.length === 0) return events
    events.push(...page)
  }
}

test('two processes on one SQLite file never overbook', async (t) => {
  const seed = Number(process.env.HOLDFAST_SEED ?? Math.floor(Math.random() * 2 ** 31))
  t.diagnostic(`seed ${seed} (replay with HOLDFAST_SEED=${seed})`)
  const url = tempUrl('race.db')
  const engine = await Engine.open(url)
  await engine.createTenant('acme', 'Acme Studio')
  const tenant = engine.tenant('acme')
  for (const resource of RESOURCES) {
    await tenant.createResource(resource)
  }

  const seen = []
  const watch = tenant.watch(0, (event) => seen.push(event.seq), { pollIntervalMs: 20 })

  // Both open the file, then start on the same signal.
  const racers = [startRacer(url, seed + 1), startRacer(url, seed + 2)]
  await Promise.all(racers.map((r) => r.ready))
  for (const { child } of racers) child.stdin.end('go\n')
  const outputs = await Promise.all(racers.map((r) => r.done))

  for (const { counts } of outputs) {
    t.diagnostic(JSON.stringify(counts))
    assert.ok(counts.created > 0, `seed ${seed}: a process created nothing`)
  }
  assert.ok(outputs.some(({ counts }) => counts.conflicts > 0), `seed ${seed}: no contention at all`)
  const [a, b] = outputs
  assert.ok(a.startedAt < b.endedAt && b.startedAt < a.endedAt, `seed ${seed}: the processes did not run at the same time`)

  // Capacity holds at every instant of every resource (buffers included).
  const stored = await allPages((cursor) => tenant.listBookings({ limit: 1_000, cursor }))
  const now = Date.now()
  for (const resource of RESOURCES) {
    const blocking = stored.filter((b) => b.resourceId === resource.id && (b.status === 'pencil' || b.status === 'confirmed' || (b.status === 'hold' && b.holdExpiresAt.getTime() > now)))
    const footprints = blocking.map((b) => ({
      start: new Date(b.start.getTime() - (resource.bufferBeforeMs ?? 0)),
      end: new Date(b.end.getTime() + (resource.bufferAfterMs ?? 0)),
      quantity: b.quantity,
    }))
    assert.ok(peakUsage(footprints) <= resource.capacity, `seed ${seed}: ${resource.id} over capacity`)
  }

  // What each process was told is what is stored.
  const byId = new Map(stored.map((b) => [b.id, b]))
  const created = outputs.reduce((n, { counts }) => n + counts.created, 0)
  assert.equal(stored.length, created)
  for (const { bookings } of outputs) {
    for (const told of bookings) {
      const row = byId.get(told.id)
      assert.ok(row, `seed ${seed}: ${told.id} missing`)
      assert.deepEqual(
        { version: row.version, status: row.status, resourceId: row.resourceId, start: row.start.toISOString(), end: row.end.toISOString() },
        { version: told.version, status: told.status, resourceId: told.resourceId, start: told.start, end: told.end },
      )
    }
  }

  // The log is gap-free, and the watch delivered it all, in order, once.
  const events = await allEvents(tenant)
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1))
  assert.equal(events.filter((e) => e.type === 'created').length, created)
  await until(() => seen.length >= events.length, 10_000, 'the watch to catch up')
  watch.stop()
  assert.deepEqual(seen, events.map((e) => e.seq))
  await engine.close()
})
