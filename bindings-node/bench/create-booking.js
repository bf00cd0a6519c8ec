'use strict'
// createBooking throughput from Node with N promises in flight (default 32),
// every booking fitting (distinct slots), durable commits (SQLite file, WAL,
// synchronous = FULL). Usage: node bench/create-booking.js [inFlight] [total]

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const { Engine } = require('..')

const inFlight = Number(process.argv[2] ?? 32)
const total = Number(process.argv[3] ?? 5_000)
const RESOURCES = 100
const HOUR_MS = 3_600_000

async function main() {
  const dir = fs.mkdtempSync(path.join(process.env.HOLDFAST_BENCH_DIR ?? os.tmpdir(), 'holdfast-bench-'))
  try {
    const engine = await Engine.open(`sqlite://${path.join(dir, 'bench.db')}`)
    await engine.createTenant('bench', 'Bench')
    const tenant = engine.tenant('bench')
    for (let r = 0; r < RESOURCES; r++) await tenant.createResource({ id: `r${r}`, name: `R ${r}` })
    const base = Date.parse('2027-01-01T00:00:00Z')
    let next = 0
    const booking = (k) => ({
      resourceId: `r${k % RESOURCES}`,
      start: new Date(base + Math.floor(k / RESOURCES) * HOUR_MS),
      end: new Date(base + Math.floor(k / RESOURCES) * HOUR_MS + HOUR_MS / 2),
      status: 'confirmed',
    })
    for (; next < 200; next++) await tenant.createBooking(booking(next)) // warm up
    const end = next + total
    const t0 = process.hrtime.bigint()
    async function worker() {
      while (next < end) await tenant.createBooking(booking(next++))
    }
    await Promise.all(Array.from({ length: inFlight }, worker))
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9
    console.log(`createBooking, ${inFlight} in flight, ${total} durable creates: ${(total / seconds).toFixed(0)}/s (${((seconds * 1e6) / total).toFixed(0)} us each); UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`)
    await engine.close()
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

main()
