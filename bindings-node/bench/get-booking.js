'use strict'
// Latency of one getBooking from Node, per call (p50/p90/p99), on the 1M-
// booking file of the core's bench (`cargo bench -p holdfast-benches --bench
// core` builds target/bench-data/core-v2-1m.db; its `get_booking` is the same
// call in Rust). Calls are sequential (one in flight), so each figure is one
// round trip: convert, queue on the libuv pool, read, convert, settle.
// Usage: node bench/get-booking.js [path-to-core-v2-1m.db] [calls]

const path = require('node:path')

const which = process.env.HOLDFAST_BENCH_NATIVE ? '../index.js' : '..'
const { Engine } = require(which)

const file = process.argv[2] ?? path.join(__dirname, '..', '..', 'target', 'bench-data', 'core-v2-1m.db')
const calls = Number(process.argv[3] ?? 20_000)

function quantiles(samples) {
  const sorted = Float64Array.from(samples).sort()
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99), mean: samples.reduce((a, b) => a + b, 0) / samples.length }
}

async function main() {
  const engine = await Engine.open(`sqlite://${file}`)
  const tenant = engine.tenant('bench')
  const page = await tenant.listBookings({ resourceIds: ['artist-0500'], limit: 500 })
  const id = page.items[page.items.length - 1].id
  for (let i = 0; i < 2_000; i++) await tenant.getBooking(id) // warm up
  const samples = new Array(calls)
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint()
    await tenant.getBooking(id)
    samples[i] = Number(process.hrtime.bigint() - t0) / 1_000
  }
  const { p50, p90, p99, mean } = quantiles(samples)
  console.log(`getBooking via ${which === '..' ? 'holdfast (package entry)' : 'index.js (native, no wrapper)'}: ${calls} sequential calls`)
  console.log(`  p50 ${p50.toFixed(1)} us  p90 ${p90.toFixed(1)} us  p99 ${p99.toFixed(1)} us  mean ${mean.toFixed(1)} us`)
  await engine.close()
}

main()
