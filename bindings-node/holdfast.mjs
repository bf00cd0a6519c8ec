// ESM entry: the same objects as the CommonJS entry (one native addon,
// one `HoldfastError` class, whichever way the package is loaded).
import holdfast from './holdfast.js'

export const { Engine, Tenant, Watch, ManualClock, HoldfastError, ERROR_CODES, __napiBindingTarget } = holdfast
export default holdfast
