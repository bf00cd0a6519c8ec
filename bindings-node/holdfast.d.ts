// Types of the package entry: the generated `index.d.ts` (napi CLI, from
// the Rust code) plus the error class defined in `holdfast.js`.
import type { BookingStatus, ErrorCode } from './index'

export * from './index'

/** A booking in the way, as `CONFLICT` lists it in `details.conflicts`. */
export interface ConflictDetail {
  id: string
  resource_id: string
  status: BookingStatus
  /** ISO-8601 instants, as the core's JSON details carry them. */
  interval: { start: string; end: string }
  quantity: number
}

/**
 * `err.details`: the core's structured details as JSON (snake_case keys,
 * the same in every language). Which keys are set depends on the code.
 */
export interface HoldfastErrorDetails {
  /** INVALID_INPUT, LIMIT_EXCEEDED: the field (`start`, `items[3].start`). */
  field?: string
  /** CONFLICT: every blocking booking in the way. */
  conflicts?: ConflictDetail[]
  resource_id?: string
  /** NOT_FOUND, ALREADY_EXISTS, VERSION_MISMATCH: what was looked for. */
  entity?: string
  id?: string
  /** VERSION_MISMATCH. */
  expected_version?: number
  current_version?: number
  /** LIMIT_EXCEEDED. */
  max?: number
  actual?: number
  /** `createBookings`: the item that failed. */
  index?: number
  [key: string]: unknown
}

/** Every error of a Holdfast call. */
export declare class HoldfastError extends Error {
  constructor(code: ErrorCode, message: string, details?: HoldfastErrorDetails, options?: { cause?: unknown })
  readonly name: 'HoldfastError'
  /** The stable code of DESIGN.md section 4. */
  readonly code: ErrorCode
  readonly details: HoldfastErrorDetails
}

/** Every stable error code. */
export declare const ERROR_CODES: readonly ErrorCode[]

export type HoldfastErrorCode = ErrorCode
