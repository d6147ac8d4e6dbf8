export {
  PythonClassRegistry,
  type PythonClassFactory,
  type PythonEncoder,
  type PythonEncodeOptions,
  type ClassOf,
} from './registry.js';
export { PythonState } from './python-state.js';
export {
  DOCKER_TRANSFORM_CLASSES,
  installDockerTransforms,
  pythonDefaultVolume,
  volumeForPython,
} from './docker-transforms.js';
export {
  GIRDER_CLIENT_CLASS,
  GIRDER_IO_MODULES,
  GIRDER_TRANSFORM_CLASSES,
  girderClientDescription,
  installGirderClient,
} from './girder-client.js';
export {
  createGirderWorkerRegistry,
  girderWorkerClasses,
  registerPythonClass,
  registerPythonEncoder,
  decodeGirderWorkerValue,
  decodeGirderWorkerText,
  encodeGirderWorkerValue,
  decodeResultHooks,
  encodeResultHooks,
  encodeTaskBody,
} from './defaults.js';
