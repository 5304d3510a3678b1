// Images the user attaches: their type read from their bytes (JPEG, PNG, GIF, WEBP), never
// from the file name, as the library does, and read into a data: URI for an image_url part.

import { formatBytes } from "./dom.js";

// The library's own limit (aiodynaspark._config.MAX_IMAGE_BYTES).
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

/** Why an image was not attached, in words for the user. */
export class ImageRefused extends Error {}

/**
 * Tell an image's type from its first bytes.
 * @param {Uint8Array} b
 * @returns {string|null} a MIME type, or null for anything but PNG, JPEG, GIF, WEBP
 */
export function imageTypeOfBytes(b) {
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return "image/png";
  if (b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return "image/gif";
  if (b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46
      && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50) return "image/webp";
  return null;
}

/** The MIME type of base64 image data, from its first bytes. */
export function imageTypeOfBase64(data) {
  try {
    const head = atob(data.slice(0, 16));
    return imageTypeOfBytes(Uint8Array.from(head, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

/** The files of a paste or drop that may be images (the bytes decide later). */
export function imageFilesOf(dataTransfer) {
  return [...(dataTransfer?.files ?? [])].filter((file) => file.type.startsWith("image/") || !file.type);
}

function readDataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

/**
 * Read one image file for sending.
 * @param {File} file
 * @returns {Promise<{dataUrl: string, type: string, name: string, size: number}>}
 * @throws {ImageRefused} too large, or not a PNG, JPEG, GIF or WEBP image
 */
export async function readImage(file) {
  const name = file.name || "pasted image";
  if (file.size > MAX_IMAGE_BYTES) {
    throw new ImageRefused(`${name} is ${formatBytes(file.size)}; the limit is ${formatBytes(MAX_IMAGE_BYTES)}.`);
  }
  // The type comes from the bytes, never from the name or the browser's guess.
  const type = imageTypeOfBytes(new Uint8Array(await file.slice(0, 12).arrayBuffer()));
  if (!type) throw new ImageRefused(`${name} is not a PNG, JPEG, GIF or WEBP image.`);
  const dataUrl = await readDataUrl(new Blob([file], { type }));
  return { dataUrl, type, name, size: file.size };
}
