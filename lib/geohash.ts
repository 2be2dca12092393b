/**
 * Geohashes as Redis computes them for the GEO commands: a position is a
 * 52-bit integer (26 bits of longitude and 26 of latitude, interleaved)
 * stored as a sorted-set score, and a radius or box search becomes nine
 * score ranges (a cell and its eight neighbours) filtered by distance.
 *
 * This is our TypeScript reading of the facts in Redis 7.0's
 * `geohash.c`, `geohash_helper.c` and `geo.c`, keeping every float
 * operation in Redis's order so that scores, decoded coordinates and
 * distances come out bit for bit as Redis's (only `sin`, `cos` and `asin`
 * come from V8 instead of glibc; both are within one ulp, far below the
 * four decimals GEODIST prints).
 *
 * Decisions that shape the module:
 * - Latitude is limited to ±85.05112878 (the Web Mercator limit) and its
 *   range is that, not ±90, as in Redis; GEOHASH re-encodes with ±90 to
 *   print the standard base-32 geohash.
 * - Hash bits are handled as two unsigned 32-bit halves when encoding and
 *   decoding (the per-point hot path, no allocation), and as bigints for
 *   the nine-cell search plan, where Redis's `uint64_t` arithmetic (a
 *   longitude of exactly 180 sets bit 53) must stay exact.
 *
 * @module
 */

export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;
/** Bits per coordinate in a stored score (26 × 2 = 52). */
export const GEO_STEP_MAX = 26;
/** Redis's Earth radius: the quadratic mean radius of WGS-84, in meters. */
export const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
/** Redis's `D_R`: degrees to radians, as M_PI / 180.0 in double. */
const D_R = Math.PI / 180.0;
const TWO_TO_32 = 2 ** 32;

/** A longitude and latitude in degrees. */
export interface LonLat {
  readonly longitude: number;
  readonly latitude: number;
}

interface Range {
  readonly min: number;
  readonly max: number;
}

const LONG_RANGE: Range = { min: GEO_LONG_MIN, max: GEO_LONG_MAX };
const LAT_RANGE: Range = { min: GEO_LAT_MIN, max: GEO_LAT_MAX };
/** The ranges of the standard geohash, which GEOHASH prints. */
const STANDARD_LONG_RANGE: Range = { min: -180, max: 180 };
const STANDARD_LAT_RANGE: Range = { min: -90, max: 90 };

/** Spreads the 16 bits of `value` to the even bit positions of a 32-bit word. */
function spread16(value: number): number {
  let v = value & 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  v = (v | (v << 1)) & 0x55555555;
  return v;
}

/** Gathers the even bits of a 32-bit word into 16 bits. */
function compact16(word: number): number {
  let v = word & 0x55555555;
  v = (v | (v >>> 1)) & 0x33333333;
  v = (v | (v >>> 2)) & 0x0f0f0f0f;
  v = (v | (v >>> 4)) & 0x00ff00ff;
  v = (v | (v >>> 8)) & 0x0000ffff;
  return v;
}

/** Redis's `interleave64(lat, lon)`: latitude bits at even positions, longitude at odd; as [high, low] halves. */
function interleave(latitudeBits: number, longitudeBits: number): [number, number] {
  const low = (spread16(latitudeBits) | (spread16(longitudeBits) << 1)) >>> 0;
  const high = (spread16(latitudeBits >>> 16) | (spread16(longitudeBits >>> 16) << 1)) >>> 0;
  return [high, low];
}

/** Redis's `deinterleave64`: [latitude bits, longitude bits] of a hash given as halves. */
function deinterleave(high: number, low: number): [number, number] {
  const latitudeBits = (compact16(low) | (compact16(high) << 16)) >>> 0;
  const longitudeBits = (compact16(low >>> 1) | (compact16(high >>> 1) << 16)) >>> 0;
  return [latitudeBits, longitudeBits];
}

/** The fixed-point offsets (as C's truncation to `uint32_t`) of a position inside the ranges. */
function offsets(
  position: LonLat,
  step: number,
  longRange: Range,
  latRange: Range,
): [latitude: number, longitude: number] {
  const scale = 2 ** step;
  const latitudeOffset = (position.latitude - latRange.min) / (latRange.max - latRange.min);
  const longitudeOffset = (position.longitude - longRange.min) / (longRange.max - longRange.min);
  return [Math.trunc(latitudeOffset * scale) >>> 0, Math.trunc(longitudeOffset * scale) >>> 0];
}

/** Whether Redis accepts the position (GEOADD, FROMLONLAT, GEORADIUS). */
export function isValidPosition(longitude: number, latitude: number): boolean {
  return longitude >= GEO_LONG_MIN && longitude <= GEO_LONG_MAX &&
    latitude >= GEO_LAT_MIN && latitude <= GEO_LAT_MAX;
}

/**
 * The sorted-set score of a valid position: its 52-bit geohash (as Redis's
 * GEOADD computes it, rounded to a double as ZADD stores it).
 *
 * @example Palermo, the example of Redis's documentation
 * ```ts
 * import { encodeScore } from "./geohash.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeScore({ longitude: 13.361389, latitude: 38.115556 }), 3479099956230698);
 * ```
 */
export function encodeScore(position: LonLat): number {
  const [latitudeBits, longitudeBits] = offsets(position, GEO_STEP_MAX, LONG_RANGE, LAT_RANGE);
  const [high, low] = interleave(latitudeBits, longitudeBits);
  // One correctly rounded addition, as the decimal integer ZADD parses would round.
  return high * TWO_TO_32 + low;
}

/**
 * A score as C's `(uint64_t)` cast on x86-64 makes it, in [high, low]
 * halves: Redis decodes any score of a sorted set, even ones no GEOADD made.
 */
function scoreHalves(score: number): [number, number] {
  if (score >= 0 && score < 2 ** 64) {
    const whole = Math.trunc(score);
    const high = Math.floor(whole / TWO_TO_32);
    return [high, whole - high * TWO_TO_32];
  }
  // Out of range (≥ 2^64, ≤ -2^63, NaN) the conversion yields 0x8000000000000000, or 0 above 2^64.
  if (score >= 2 ** 64) return [0, 0];
  if (!(score > -(2 ** 63))) return [0x80000000, 0];
  const bits = BigInt.asUintN(64, BigInt(Math.trunc(score)));
  return [Number(bits >> 32n), Number(bits & 0xffffffffn)];
}

/** Redis's `geohashDecode` of a hash with `step` bits per coordinate, given as bit offsets. */
function decodeArea(
  latitudeBits: number,
  longitudeBits: number,
  step: number,
  longRange: Range = LONG_RANGE,
  latRange: Range = LAT_RANGE,
): { latitude: Range; longitude: Range } {
  const scale = 2 ** step;
  const latitudeScale = latRange.max - latRange.min;
  const longitudeScale = longRange.max - longRange.min;
  // `ilato + 1` is uint32_t arithmetic in Redis: it wraps.
  const latitudeNext = (latitudeBits + 1) >>> 0;
  const longitudeNext = (longitudeBits + 1) >>> 0;
  return {
    latitude: {
      min: latRange.min + (latitudeBits * 1.0 / scale) * latitudeScale,
      max: latRange.min + (latitudeNext * 1.0 / scale) * latitudeScale,
    },
    longitude: {
      min: longRange.min + (longitudeBits * 1.0 / scale) * longitudeScale,
      max: longRange.min + (longitudeNext * 1.0 / scale) * longitudeScale,
    },
  };
}

/**
 * The position a score stands for: the centre of its cell, clamped to the
 * valid ranges (Redis's `decodeGeohash`). Every score decodes, as in Redis.
 *
 * @example
 * ```ts
 * import { decodeScore } from "./geohash.ts";
 * import assert from "node:assert/strict";
 *
 * const { longitude, latitude } = decodeScore(3479099956230698);
 * assert.equal(longitude, 13.361389338970184);
 * assert.equal(latitude, 38.1155563954963);
 * ```
 */
export function decodeScore(score: number): LonLat {
  const [high, low] = scoreHalves(score);
  const [latitudeBits, longitudeBits] = deinterleave(high, low);
  const area = decodeArea(latitudeBits, longitudeBits, GEO_STEP_MAX);
  let longitude = (area.longitude.min + area.longitude.max) / 2;
  if (longitude > GEO_LONG_MAX) longitude = GEO_LONG_MAX;
  if (longitude < GEO_LONG_MIN) longitude = GEO_LONG_MIN;
  let latitude = (area.latitude.min + area.latitude.max) / 2;
  if (latitude > GEO_LAT_MAX) latitude = GEO_LAT_MAX;
  if (latitude < GEO_LAT_MIN) latitude = GEO_LAT_MIN;
  return { longitude, latitude };
}

const GEOHASH_ALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz";

/**
 * The 11-character standard geohash GEOHASH replies for a score: decoded,
 * re-encoded over ±180/±90 with 52 bits, and a last character of `0` (the
 * 55th bit Redis does not have).
 *
 * @example
 * ```ts
 * import { encodeScore, standardGeohash } from "./geohash.ts";
 * import assert from "node:assert/strict";
 *
 * const score = encodeScore({ longitude: 13.361389, latitude: 38.115556 });
 * assert.equal(standardGeohash(score), "sqc8b49rny0");
 * ```
 */
export function standardGeohash(score: number): string {
  const position = decodeScore(score);
  const [latitudeBits, longitudeBits] = offsets(
    position,
    GEO_STEP_MAX,
    STANDARD_LONG_RANGE,
    STANDARD_LAT_RANGE,
  );
  const [high, low] = interleave(latitudeBits, longitudeBits);
  const bits = (BigInt(high) << 32n) | BigInt(low);
  let text = "";
  for (let i = 0; i < 10; i++) {
    text += GEOHASH_ALPHABET[Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn)];
  }
  return text + "0";
}

// ---------------------------------------------------------------------------
// Distances

function degreesToRadians(degrees: number): number {
  return degrees * D_R;
}

function radiansToDegrees(radians: number): number {
  return radians / D_R;
}

/** Distance along a meridian, in meters (Redis's `geohashGetLatDistance`). */
export function latitudeDistance(latitude1: number, latitude2: number): number {
  return EARTH_RADIUS_IN_METERS *
    Math.abs(degreesToRadians(latitude2) - degreesToRadians(latitude1));
}

/**
 * Great-circle distance in meters by the haversine formula on Redis's
 * sphere (`geohashGetDistance`).
 *
 * @example Palermo to Catania, as GEODIST prints it
 * ```ts
 * import { decodeScore, distance, encodeScore } from "./geohash.ts";
 * import assert from "node:assert/strict";
 *
 * const palermo = decodeScore(encodeScore({ longitude: 13.361389, latitude: 38.115556 }));
 * const catania = decodeScore(encodeScore({ longitude: 15.087269, latitude: 37.502669 }));
 * assert.equal(distance(palermo, catania).toFixed(4), "166274.1516");
 * ```
 */
export function distance(from: LonLat, to: LonLat): number {
  const longitude1 = degreesToRadians(from.longitude);
  const longitude2 = degreesToRadians(to.longitude);
  const v = Math.sin((longitude2 - longitude1) / 2);
  // Same longitude: the distance is along the meridian, without the costly terms.
  if (v === 0.0) return latitudeDistance(from.latitude, to.latitude);
  const latitude1 = degreesToRadians(from.latitude);
  const latitude2 = degreesToRadians(to.latitude);
  const u = Math.sin((latitude2 - latitude1) / 2);
  const a = u * u + Math.cos(latitude1) * Math.cos(latitude2) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(a));
}

// ---------------------------------------------------------------------------
// Search shapes and the nine-cell plan

/** A search area around `center`: a circle or an axis-aligned box; sizes in `unit`s of `toMeters` meters. */
export type GeoShape =
  & { readonly center: LonLat; readonly toMeters: number }
  & (
    | { readonly kind: "radius"; readonly radius: number }
    | { readonly kind: "box"; readonly width: number; readonly height: number }
  );

/**
 * The distance in meters from the shape's centre to `point` when the point
 * lies in the shape, else undefined (Redis's `geoWithinShape`; a box tests
 * the latitude distance, then the longitude distance at the point's own
 * latitude).
 */
export function distanceWithinShape(shape: GeoShape, point: LonLat): number | undefined {
  const center = shape.center;
  if (shape.kind === "radius") {
    const meters = distance(center, point);
    return meters > shape.radius * shape.toMeters ? undefined : meters;
  }
  const width = shape.width * shape.toMeters;
  const height = shape.height * shape.toMeters;
  if (latitudeDistance(point.latitude, center.latitude) > height / 2) return undefined;
  const alongParallel = distance(point, { longitude: center.longitude, latitude: point.latitude });
  if (alongParallel > width / 2) return undefined;
  return distance(center, point);
}

/** Redis's `geohashEstimateStepsByRadius`: the cell size that a search of this radius needs. */
export function estimateStepsByRadius(rangeMeters: number, latitude: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  // Cells are narrower towards the poles.
  if (latitude > 66 || latitude < -66) {
    step--;
    if (latitude > 80 || latitude < -80) step--;
  }
  return Math.min(26, Math.max(1, step));
}

/** Redis's `geohashBoundingBox`: [min longitude, min latitude, max longitude, max latitude]. */
function boundingBox(shape: GeoShape): [number, number, number, number] {
  const { longitude, latitude } = shape.center;
  const height = shape.toMeters * (shape.kind === "radius" ? shape.radius : shape.height / 2);
  const width = shape.toMeters * (shape.kind === "radius" ? shape.radius : shape.width / 2);
  const latitudeDelta = radiansToDegrees(height / EARTH_RADIUS_IN_METERS);
  const longitudeDeltaTop = radiansToDegrees(
    width / EARTH_RADIUS_IN_METERS / Math.cos(degreesToRadians(latitude + latitudeDelta)),
  );
  const longitudeDeltaBottom = radiansToDegrees(
    width / EARTH_RADIUS_IN_METERS / Math.cos(degreesToRadians(latitude - latitudeDelta)),
  );
  // The box's wider edge is the one nearer the equator.
  const southern = latitude < 0;
  const longitudeDelta = southern ? longitudeDeltaBottom : longitudeDeltaTop;
  return [
    longitude - longitudeDelta,
    latitude - latitudeDelta,
    longitude + longitudeDelta,
    latitude + latitudeDelta,
  ];
}

/** A cell: the hash bits (exact, as Redis's `uint64_t`) and bits per coordinate. */
interface Cell {
  readonly bits: bigint;
  readonly step: number;
}

const EVEN_BITS = 0x5555555555555555n;
const ODD_BITS = 0xaaaaaaaaaaaaaaaan;

/** Redis's `geohash_move_x` (longitude, odd bits) and `geohash_move_y` (latitude, even bits). */
function moveCell(cell: Cell, direction: -1 | 0 | 1, longitude: boolean): Cell {
  if (direction === 0) return cell;
  const width = BigInt(64 - cell.step * 2);
  const moving = cell.bits & (longitude ? ODD_BITS : EVEN_BITS);
  const other = cell.bits & (longitude ? EVEN_BITS : ODD_BITS);
  // zz fills the bits of the other coordinate, so the +1 carries across them.
  const zz = (longitude ? EVEN_BITS : ODD_BITS) >> width;
  let moved = direction > 0 ? moving + (zz + 1n) : (moving | zz) - (zz + 1n);
  moved = BigInt.asUintN(64, moved) & ((longitude ? ODD_BITS : EVEN_BITS) >> width);
  return { bits: moved | other, step: cell.step };
}

function cellOf(position: LonLat, step: number): Cell {
  const [latitudeBits, longitudeBits] = offsets(position, step, LONG_RANGE, LAT_RANGE);
  const [high, low] = interleave(latitudeBits, longitudeBits);
  return { bits: (BigInt(high) << 32n) | BigInt(low), step };
}

function cellArea(cell: Cell): { latitude: Range; longitude: Range } {
  const halves = [Number(cell.bits >> 32n), Number(cell.bits & 0xffffffffn)] as const;
  const [latitudeBits, longitudeBits] = deinterleave(halves[0], halves[1]);
  return decodeArea(latitudeBits, longitudeBits, cell.step);
}

/** A half-open score range [min, max) of a sorted set that holds one cell's points. */
export interface ScoreRange {
  readonly min: number;
  readonly max: number;
}

/**
 * The score ranges to scan for a search, in Redis's order (the centre cell,
 * then north, south, east, west, north-east, north-west, south-east,
 * south-west), leaving out the neighbours the shape cannot reach and a
 * neighbour equal to the one scanned just before it (huge radii make
 * neighbours coincide). Redis's `geohashCalculateAreasByShapeWGS84` with
 * `membersOfAllNeighbors`' skipping.
 */
export function searchRanges(shape: GeoShape): ScoreRange[] {
  const [minLongitude, minLatitude, maxLongitude, maxLatitude] = boundingBox(shape);
  const center = shape.center;
  const radiusMeters = shape.toMeters *
    (shape.kind === "radius"
      ? shape.radius
      : Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2)));
  let steps = estimateStepsByRadius(radiusMeters, center.latitude);
  let cell = cellOf(center, steps);
  let neighbours = neighboursOf(cell);
  // Near a cell's edge the estimated step can be too fine for the neighbours to cover the box.
  const north = cellArea(neighbours.north);
  const south = cellArea(neighbours.south);
  const east = cellArea(neighbours.east);
  const west = cellArea(neighbours.west);
  const decreaseStep = north.latitude.max < maxLatitude || south.latitude.min > minLatitude ||
    east.longitude.max < maxLongitude || west.longitude.min > minLongitude;
  if (steps > 1 && decreaseStep) {
    steps--;
    cell = cellOf(center, steps);
    neighbours = neighboursOf(cell);
  }
  const area = cellArea(cell);
  const skip = new Set<keyof Neighbours>();
  if (steps >= 2) {
    if (area.latitude.min < minLatitude) skip.add("south").add("southWest").add("southEast");
    if (area.latitude.max > maxLatitude) skip.add("north").add("northEast").add("northWest");
    if (area.longitude.min < minLongitude) skip.add("west").add("southWest").add("northWest");
    if (area.longitude.max > maxLongitude) skip.add("east").add("southEast").add("northEast");
  }
  const order: (keyof Neighbours)[] = [
    "north",
    "south",
    "east",
    "west",
    "northEast",
    "northWest",
    "southEast",
    "southWest",
  ];
  const ranges: ScoreRange[] = [scoreRange(cell)];
  // Redis compares a neighbour only with the neighbour scanned before it, never with the centre.
  let previous: Cell | undefined;
  for (const name of order) {
    if (skip.has(name)) continue;
    const each = neighbours[name];
    if (previous !== undefined && each.bits === previous.bits && each.step === previous.step) {
      continue;
    }
    previous = each;
    ranges.push(scoreRange(each));
  }
  return ranges;
}

/** Redis's `scoresOfGeoHashBox`: the scores of every point inside the cell, as doubles. */
function scoreRange(cell: Cell): ScoreRange {
  const shift = BigInt(52 - cell.step * 2);
  return {
    min: Number(BigInt.asUintN(64, cell.bits << shift)),
    max: Number(BigInt.asUintN(64, (cell.bits + 1n) << shift)),
  };
}

interface Neighbours {
  north: Cell;
  south: Cell;
  east: Cell;
  west: Cell;
  northEast: Cell;
  northWest: Cell;
  southEast: Cell;
  southWest: Cell;
}

/** Redis's `geohashNeighbors`. */
function neighboursOf(cell: Cell): Neighbours {
  const move = (x: -1 | 0 | 1, y: -1 | 0 | 1) => moveCell(moveCell(cell, x, true), y, false);
  return {
    north: move(0, 1),
    south: move(0, -1),
    east: move(1, 0),
    west: move(-1, 0),
    northEast: move(1, 1),
    northWest: move(-1, 1),
    southEast: move(1, -1),
    southWest: move(-1, -1),
  };
}
