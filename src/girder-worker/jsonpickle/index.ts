export {
  decodeJsonPickle,
  decodeJsonPickleText,
  type ResolveClass,
  type DecodeJsonPickleOptions,
} from './decode.js';
export { encodeJsonPickle, type DescribeObject, type PythonObjectDescription } from './encode.js';
export { parseJsonKeepingKeyOrder, type OrderedJson } from './ordered-json.js';
export { PyObject, PyTuple, PyType } from './values.js';
export { TAGS } from './tags.js';
