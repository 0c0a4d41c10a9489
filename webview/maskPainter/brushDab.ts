import { clipRect, type Rect } from './rect';

/** One stamp of the brush, in image pixels. */
export interface Dab {
  x: number;
  y: number;
  radius: number;
}

/**
 * The brush's coverage at `distance` from its centre, in [0, 1]: full inside hardness × radius,
 * then a smoothstep falloff to nothing at the radius, so a soft brush has no visible ring.
 * Hardness 1 is a hard disc.
 */
export function dabCoverage(distance: number, radius: number, hardness: number): number {
  if (distance >= radius) return 0;
  const inner = radius * Math.min(1, Math.max(0, hardness));
  if (distance <= inner) return 1;
  const t = (distance - inner) / (radius - inner);
  return 1 - t * t * (3 - 2 * t);
}

/**
 * Stamps one dab into `coverage` (0–255, one byte per pixel), keeping each pixel's highest
 * value: dabs that overlap within a stroke do not build up, so a stroke is as dense as its
 * densest dab. Pixels are sampled at their centres. Returns the rectangle it touched.
 */
export function stampDab(coverage: Uint8Array, width: number, height: number, dab: Dab, hardness: number): Rect | undefined {
  const rect = clipRect({ x: dab.x - dab.radius, y: dab.y - dab.radius, width: 2 * dab.radius, height: 2 * dab.radius }, width, height);
  if (!rect) return undefined;
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    const dy = y + 0.5 - dab.y;
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      const dx = x + 0.5 - dab.x;
      const value = Math.round(255 * dabCoverage(Math.hypot(dx, dy), dab.radius, hardness));
      const index = y * width + x;
      if (value > coverage[index]!) coverage[index] = value;
    }
  }
  return rect;
}

/**
 * The dabs that continue a stroke from `from` to `to`, excluding `from` itself (already
 * stamped): spaced a quarter of the radius apart, so a fast pointer leaves a continuous line
 * rather than beads. The radius moves linearly between the two, as pen pressure does.
 */
export function dabsBetween(from: Dab, to: Dab): Dab[] {
  const distance = Math.hypot(to.x - from.x, to.y - from.y);
  const spacing = Math.max(0.5, Math.min(from.radius, to.radius) / 4);
  const count = Math.max(1, Math.ceil(distance / spacing));
  return Array.from({ length: count }, (_, i) => {
    const t = (i + 1) / count;
    return { x: from.x + (to.x - from.x) * t, y: from.y + (to.y - from.y) * t, radius: from.radius + (to.radius - from.radius) * t };
  });
}

/** Smallest radius a pen's lightest touch draws, as a share of the brush's. */
const MIN_PRESSURE_SHARE = 0.1;

/**
 * The radius a pointer draws with: a pen's pressure scales the brush (a touch that reports no
 * pressure counts as a full press); a mouse always draws at full size, since browsers report
 * its pressure as a constant 0.5.
 */
export function pointerRadius(brushSize: number, pointerType: string, pressure: number): number {
  const radius = brushSize / 2;
  if (pointerType !== 'pen' || pressure <= 0) return radius;
  return radius * Math.max(MIN_PRESSURE_SHARE, Math.min(1, pressure));
}
