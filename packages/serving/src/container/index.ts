export * from './build-image.js'
export * from './dockerfile.js'
export * from './generate-dockerfile.js'
export { type BundledPackage, copyServingRuntime, type ImageArch } from './runtime-bundle.js'
