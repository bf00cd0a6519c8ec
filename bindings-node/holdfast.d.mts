export * from './holdfast.js'
import * as holdfast from './holdfast.js'
export default holdfast
