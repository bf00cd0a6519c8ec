// A NestJS-style provider: an injectable service wrapping the engine, typed
// with the package's shipped declarations. Written without the decorators
// (`@Injectable()`, `@Inject(HOLDFAST_ENGINE)`) so the test needs no NestJS
// install; with them the class is the same. Type-checked by
// `tsc --noEmit -p test` and run by test/nest.test.js.
import {
  Engine,
  HoldfastError,
  type Booking,
  type Event,
  type HoldfastErrorCode,
  type NewBooking,
  type Tenant,
} from 'holdfast'

/** The provider token a Nest module would bind the opened engine to. */
export const HOLDFAST_ENGINE = Symbol('HOLDFAST_ENGINE')

export type BookResult =
  | { ok: true; booking: Booking }
  | { ok: false; code: HoldfastErrorCode; conflicts: string[]; field?: string }

/** One tenant's bookings, as a service the app's controllers call. */
export class BookingService {
  private readonly tenant: Tenant
  /** The last error a `follow` met (a real app would log it). */
  lastFeedError: HoldfastError | null = null

  constructor(
    private readonly engine: Engine,
    tenantId: string,
  ) {
    this.tenant = engine.tenant(tenantId)
  }

  /** A module factory: `useFactory: () => BookingService.open(url, 'acme')`. */
  static async open(url: string, tenantId: string): Promise<BookingService> {
    return new BookingService(await Engine.open(url), tenantId)
  }

  /** Tries a booking; a "no" is a value, not an exception. */
  async book(request: NewBooking): Promise<BookResult> {
    try {
      return { ok: true, booking: await this.tenant.createBooking(request) }
    } catch (error) {
      if (error instanceof HoldfastError) {
        const conflicts = (error.details.conflicts ?? []).map((c) => c.id)
        return { ok: false, code: error.code, conflicts, field: error.details.field }
      }
      throw error
    }
  }

  async confirm(booking: Booking): Promise<Booking> {
    return this.tenant.confirm(booking.id, { expectedVersion: booking.version })
  }

  async upcoming(resourceId: string, from: Date, until: Date): Promise<Booking[]> {
    const page = await this.tenant.listBookings({ resourceIds: [resourceId], start: from, end: until, statuses: ['hold', 'pencil', 'confirmed'] })
    return page.items
  }

  /** For an SSE controller: events after `since`; call the result to stop. */
  follow(since: number, onEvent: (event: Event) => void): () => void {
    const watch = this.tenant.watch(since, onEvent, {
      onError: (error) => {
        this.lastFeedError = error instanceof HoldfastError ? error : null
      },
    })
    return () => watch.stop()
  }

  /** Nest's OnModuleDestroy hook. */
  async onModuleDestroy(): Promise<void> {
    await this.engine.close()
  }
}

// Misuse the declarations must refuse (each line fails to compile without
// its @ts-expect-error, so `tsc` fails if the types loosen).
export async function misuse(t: Tenant): Promise<void> {
  // @ts-expect-error a booking is created as hold, pencil or confirmed
  await t.createBooking({ resourceId: 'a', start: new Date(), end: new Date(), status: 'cancelled' })
  // @ts-expect-error start is required
  await t.createBooking({ resourceId: 'a', end: new Date() })
  // @ts-expect-error instants come out as Date
  const start: string = (await t.getBooking('b')).start
  // @ts-expect-error not a stable code
  const code: HoldfastErrorCode = 'NOPE'
  // @ts-expect-error groupings are resource, project or day
  await t.utilization(new Date(), new Date(), 'week')
  void start
  void code
}
