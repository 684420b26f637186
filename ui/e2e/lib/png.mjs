// PNG decoding (8-bit grey, grey+alpha, RGB, RGBA; not interlaced) for the end-to-end tests:
// the hub's pairing QR becomes the fake camera's video, and screenshots are read as pixels.
import { inflateSync } from 'node:zlib';

/** @returns {{width: number, height: number, channels: number, data: Uint8Array}} */
export function decodePng(buf) {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  if (!sig.every((b, i) => buf[i] === b)) throw new Error('not a PNG file');
  let pos = 8;
  let width = 0, height = 0, depth = 0, colour = 0, interlace = 0;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const body = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      depth = body[8];
      colour = body[9];
      interlace = body[12];
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const channels = { 0: 1, 4: 2, 2: 3, 6: 4 }[colour];
  if (depth !== 8 || !channels || interlace !== 0) {
    throw new Error(`unsupported PNG (depth ${depth}, colour type ${colour}, interlace ${interlace})`);
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = out.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? out.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? row[x - channels] : 0;
      const b = prev[x];
      const c = x >= channels ? prev[x - channels] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      row[x] = v & 255;
    }
  }
  return { width, height, channels, data: out };
}

/** Luma of pixel (x, y), 0–255. */
export function luma(img, x, y) {
  const i = (y * img.width + x) * img.channels;
  if (img.channels < 3) return img.data[i];
  return Math.round(0.299 * img.data[i] + 0.587 * img.data[i + 1] + 0.114 * img.data[i + 2]);
}

/**
 * A Y4M video (4:2:0, `frames` identical frames) showing the grey image centred on a white
 * canvas of `w`×`h`: what Chromium's `--use-file-for-fake-video-capture` plays as the camera.
 */
export function toY4m(img, w = 1280, h = 720, frames = 10) {
  const Y = new Uint8Array(w * h).fill(255);
  const ox = Math.floor((w - img.width) / 2), oy = Math.floor((h - img.height) / 2);
  if (ox < 0 || oy < 0) throw new Error(`QR image ${img.width}×${img.height} larger than ${w}×${h}`);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) Y[(oy + y) * w + ox + x] = luma(img, x, y);
  }
  const chroma = new Uint8Array((w / 2) * (h / 2)).fill(128);
  const header = Buffer.from(`YUV4MPEG2 W${w} H${h} F10:1 Ip A1:1 C420jpeg\n`, 'latin1');
  const frame = Buffer.concat([Buffer.from('FRAME\n', 'latin1'), Y, chroma, chroma]);
  return Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]);
}
