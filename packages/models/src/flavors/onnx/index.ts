export {
  ONNX_FLAVOR_NAME,
  ONNX_INTER_OP_THREADS_ENV,
  ONNX_INTRA_OP_THREADS_ENV,
  onnxFlavor,
} from './onnx-flavor.js'
export {
  ONNX_MODEL_FILE_NAME,
  ONNX_PYTHON_ENVIRONMENT,
  type SaveOnnxModelOptions,
  saveOnnxModel,
  signatureOfOnnxGraph,
} from './save-onnx-model.js'
