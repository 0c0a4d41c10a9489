// Command ids, shared by package.json's contributions, the registrations and the links that run them.

export const GENERATE_COMMAND = 'sdxlAssets.generateImage';
export const IMAGE_TO_IMAGE_COMMAND = 'sdxlAssets.imageToImage';
export const INPAINT_COMMAND = 'sdxlAssets.inpaint';
export const GENERATE_HERE_COMMAND = 'sdxlAssets.generateImageHere';
export const DOWNLOAD_MODEL_COMMAND = 'sdxlAssets.downloadModel';
export const SET_HF_TOKEN_COMMAND = 'sdxlAssets.setHuggingFaceToken';
export const INSTALL_CUDA_COMMAND = 'sdxlAssets.installCudaSupport';
export const UNINSTALL_CUDA_COMMAND = 'sdxlAssets.uninstallCudaSupport';

// Run from the links of the Markdown hover; not in the palette, since they need the image's path.
export const REGENERATE_COMMAND = 'sdxlAssets.regenerateImage';
export const VARY_COMMAND = 'sdxlAssets.varyImage';
export const OPEN_IN_PANEL_COMMAND = 'sdxlAssets.openImageInPanel';

// Manifest (assets.sdxl.json): the CodeLens's Generate/Regenerate, and Add to Manifest on an image.
export const GENERATE_ASSET_COMMAND = 'sdxlAssets.generateAsset';
export const ADD_TO_MANIFEST_COMMAND = 'sdxlAssets.addToManifest';
