export { JS_FLAVOR_NAME, type JsFlavorConfig, type JsModelLoadContext, jsFlavor } from './js-flavor.js'
export { JS_CODE_DIRECTORY, readCairnVersion, type SaveJsModelOptions, saveJsModel } from './save-js-model.js'
