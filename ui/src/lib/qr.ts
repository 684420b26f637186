// Reading the hub's pairing QR code from camera frames and from pictures, with jsQR: pure
// JavaScript bundled with the app, loaded in a lazy chunk on the pairing screen only. No decoder
// that fetches WASM or models, none that needs Google Play services: it works offline on any phone.
import type { QRCode } from 'jsqr';

export type Decoder = (data: Uint8ClampedArray, width: number, height: number, inversion: 'dontInvert' | 'attemptBoth' | 'onlyInvert') => string | null;

let loading: Promise<Decoder> | null = null;

/** The decoder, loaded once (a separate chunk: the main bundle stays small). */
export function loadDecoder(): Promise<Decoder> {
  loading ??= import('jsqr').then((m) => {
    // A UMD build: bundlers hand over either the function or its CommonJS exports object.
    const mod = m as unknown as { default: typeof m.default | { default: typeof m.default } };
    const jsQR = typeof mod.default === 'function' ? mod.default : mod.default.default;
    return (data, width, height, inversion) => {
      const code: QRCode | null = jsQR(data, width, height, { inversionAttempts: inversion });
      return code && code.data.trim() ? code.data : null;
    };
  });
  loading.catch(() => (loading = null));
  return loading;
}

/** Draws `source` into `canvas`, scaled so its longer side is at most `max` pixels, and returns
 * the pixels (null when the canvas has no 2D context). */
export function grab(
  source: CanvasImageSource,
  width: number,
  height: number,
  canvas: HTMLCanvasElement,
  max: number,
): ImageData | null {
  const scale = Math.min(1, max / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) return null;
  ctx.drawImage(source, 0, 0, w, h);
  return ctx.getImageData(0, 0, w, h);
}

/** Reads a QR code from a picture (a photo or a screenshot of the hub's code); null when the
 * picture holds none. Rejects when the picture cannot be read at all. */
export async function decodeFile(file: Blob): Promise<string | null> {
  const decode = await loadDecoder();
  const canvas = document.createElement('canvas');
  let bitmap: ImageBitmap | HTMLImageElement;
  let close = () => {};
  if (typeof createImageBitmap === 'function') {
    const b = await createImageBitmap(file);
    bitmap = b;
    close = () => b.close();
  } else {
    bitmap = await loadImage(file);
  }
  try {
    // A phone photo is large: try it at a readable size first, then at full detail.
    for (const max of [1024, 2048]) {
      const img = grab(bitmap, bitmap.width, bitmap.height, canvas, max);
      if (!img) return null;
      const text = decode(img.data, img.width, img.height, 'attemptBoth');
      if (text) return text;
      if (Math.max(bitmap.width, bitmap.height) <= max) break;
    }
    return null;
  } finally {
    close();
  }
}

function loadImage(file: Blob): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => {
      URL.revokeObjectURL(url);
      resolve(img);
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error('unreadable image'));
    };
    img.src = url;
  });
}

/** A short random suffix for the default device name ("Điện thoại 7KQ2"), without look-alike
 * characters (0/O, 1/I). */
export function shortId(n = 4): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}
