'use strict'
// The package's entry (CommonJS; `holdfast.mjs` re-exports it for ESM).
//
// `index.js` is the loader the napi CLI generates for the native addon.
// This file adds what JS needs and Rust cannot give it: a real
// `HoldfastError` class (so `instanceof` works) with `.code` and
// `.details`, and the promise rejection of argument errors napi throws
// synchronously. It holds no business rule: every check is the core's.

const native = require('./index.js')

/** Every stable error code (DESIGN.md section 4) a call can fail with. */
const ERROR_CODES = Object.freeze(Object.values(native.ErrorCode))
const HOLDFAST_CODES = new Set(ERROR_CODES)

// napi's own statuses for arguments of the wrong JS type or shape
// (`Missing field \`resourceId\``, a number where a string belongs): to the
// caller these are malformed values, i.e. INVALID_INPUT.
const ARGUMENT_STATUSES = new Set([
  'InvalidArg',
  'ObjectExpected',
  'StringExpected',
  'NameExpected',
  'FunctionExpected',
  'NumberExpected',
  'BooleanExpected',
  'ArrayExpected',
  'BigintExpected',
  'DateExpected',
])

class HoldfastError extends Error {
  constructor(code, message, details = {}, options = undefined) {
    super(message, options)
    this.code = code
    this.details = details
  }
}
Object.defineProperty(HoldfastError.prototype, 'name', { value: 'HoldfastError', writable: true, configurable: true })

/** The `HoldfastError` for an error thrown by the native addon. */
function toHoldfastError(error) {
  if (error instanceof HoldfastError || !(error instanceof Error)) {
    return error
  }
  let converted
  if (HOLDFAST_CODES.has(error.code)) {
    converted = new HoldfastError(error.code, error.message, error.details ?? {})
  } else if (ARGUMENT_STATUSES.has(error.code)) {
    converted = new HoldfastError('INVALID_INPUT', error.message, {})
  } else {
    return error
  }
  Error.captureStackTrace(converted, toHoldfastError)
  return converted
}

function named(name, fn) {
  return Object.defineProperty(fn, 'name', { value: name })
}

// A promise-returning native method: rejects with `HoldfastError`, also for
// arguments napi refused synchronously. An async function keeps the
// caller's async stack frames on the new error.
function wrapAsync(name, fn) {
  return named(name, async function (...args) {
    try {
      return await fn.apply(this, args)
    } catch (error) {
      throw toHoldfastError(error)
    }
  })
}

function wrapSync(name, fn) {
  return named(name, function (...args) {
    try {
      return fn.apply(this, args)
    } catch (error) {
      throw toHoldfastError(error)
    }
  })
}

// Methods that answer at once (no I/O); every other method returns a promise.
const SYNC_METHODS = {
  Engine: ['tenant', 'cacheStats', 'writeStats', 'now'],
  Tenant: ['asActor', 'watch'],
  ManualClock: ['set', 'advance', 'now'],
  Watch: ['stop'],
}

function wrapClass(cls, syncNames) {
  const sync = new Set(syncNames)
  for (const target of [cls.prototype, cls]) {
    for (const name of Object.getOwnPropertyNames(target)) {
      const descriptor = Object.getOwnPropertyDescriptor(target, name)
      if (name === 'constructor' || typeof descriptor.value !== 'function' || target === cls && ['length', 'name', 'prototype'].includes(name)) {
        continue
      }
      const wrap = sync.has(name) ? wrapSync : wrapAsync
      Object.defineProperty(target, name, { ...descriptor, value: wrap(name, descriptor.value) })
    }
  }
}

for (const [name, syncNames] of Object.entries(SYNC_METHODS)) {
  wrapClass(native[name], syncNames)
}

// `watch`: callbacks stop the moment `stop()` is called (events already on
// their way to the JS thread are dropped), and errors reach `onError` as
// `HoldfastError`s.
const nativeWatch = native.Tenant.prototype.watch // wrapped above: argument errors are HoldfastErrors
const nativeStop = native.Watch.prototype.stop
Object.defineProperty(native.Tenant.prototype, 'watch', {
  value: named('watch', function (since, onEvent, options) {
    let live = true
    const deliver = typeof onEvent === 'function' ? (event) => live && onEvent(event) : onEvent
    let nativeOptions = options
    if (options && typeof options.onError === 'function') {
      const onError = options.onError
      nativeOptions = { ...options, onError: (error) => live && onError(toHoldfastError(error)) }
    }
    const watch = nativeWatch.call(this, since, deliver, nativeOptions)
    Object.defineProperty(watch, 'stop', {
      value: named('stop', function () {
        live = false
        nativeStop.call(this)
      }),
    })
    return watch
  }),
  writable: true,
  configurable: true,
})

// `new ManualClock(start)` throws `HoldfastError` too.
class ManualClock extends native.ManualClock {
  constructor(start) {
    try {
      super(start)
    } catch (error) {
      throw toHoldfastError(error)
    }
  }
}

module.exports = {
  Engine: native.Engine,
  Tenant: native.Tenant,
  Watch: native.Watch,
  ManualClock,
  HoldfastError,
  ERROR_CODES,
  // Declared by the generated index.d.ts (which binary the loader chose).
  __napiBindingTarget: native.__napiBindingTarget,
}
