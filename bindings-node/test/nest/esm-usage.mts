// The ESM entry's declarations (holdfast.d.mts): named and default imports.
import holdfast, { Engine, HoldfastError, type Booking, type ErrorCode } from 'holdfast'

export async function firstBooking(url: string): Promise<Booking | ErrorCode> {
  const engine = await holdfast.Engine.open(url)
  try {
    const page = await engine.tenant('acme').listBookings({ limit: 1 })
    return page.items[0]
  } catch (error) {
    if (error instanceof HoldfastError) return error.code
    throw error
  } finally {
    await engine.close()
  }
}

export const same: typeof Engine = holdfast.Engine
