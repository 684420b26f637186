// The hub's pairing QR (SVG markup) as a picture: an `img` with a data address, so the markup
// never runs as part of the page, scaled to any size (a viewBox is added when the SVG has only
// a width and a height).
export function scalable(svg: string): string {
  const open = /<svg\b[^>]*>/i.exec(svg)?.[0];
  if (!open || /viewBox=/i.test(open)) return svg;
  const w = /\bwidth="([\d.]+)(?:px)?"/i.exec(open)?.[1];
  const h = /\bheight="([\d.]+)(?:px)?"/i.exec(open)?.[1];
  if (!w || !h) return svg;
  return svg.replace(open, open.replace(/<svg\b/i, `<svg viewBox="0 0 ${w} ${h}"`));
}

export function svgDataUrl(svg: string): string {
  let s = scalable(svg.trim());
  if (!/xmlns=/.test(s)) s = s.replace(/<svg\b/i, '<svg xmlns="http://www.w3.org/2000/svg"');
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(s)}`;
}
