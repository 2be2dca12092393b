/**
 * Geospatial commands: GEOADD, GEOPOS, GEODIST, GEOHASH, GEOSEARCH,
 * GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and their _RO variants.
 *
 * A geo set is a plain sorted set (lib/zset.ts) whose scores are 52-bit
 * geohashes (lib/geohash.ts), as in Redis: ZRANGE, ZREM, TYPE, DUMP and
 * RDB all see a `zset`. GEOADD builds a ZADD and runs it (so it also
 * propagates as that ZADD, as Redis's `replaceClientCommandVector` makes
 * it); searches scan the nine score ranges of lib/geohash.ts's plan and
 * keep the points inside the shape.
 *
 * Replies print as Redis 7.0 prints them: distances with four decimals
 * (`llrint(d × 10⁴)`, Redis's `fixedpoint_d2string`), coordinates as
 * `%.17Lf` without trailing zeros (a RESP3 double with that text), hashes
 * as integers. Options are parsed in Redis's single loop
 * (`georadiusGeneric`), so errors come in its order.
 *
 * @module
 */
import { CommandError, NOT_FLOAT, SYNTAX } from "../errors.ts";
import { formatFixed } from "../format.ts";
import {
  decodeScore,
  distance as geoDistance,
  distanceWithinShape,
  encodeScore,
  type GeoShape,
  isValidPosition,
  type LonLat,
  searchRanges,
  standardGeohash,
} from "../geohash.ts";
import { formatLongDouble, longDoubleFromDouble } from "../long_double.ts";
import { notify } from "../notify.ts";
import { NotifyClass } from "../pubsub.ts";
import { array, bulk, EMPTY_ARRAY, integer, NIL, NIL_ARRAY, type Reply, ZERO } from "../reply.ts";
import { SortedSet } from "../zset.ts";
import { floatArgument, integerArgument, isKeyword } from "./arguments.ts";
import type { ArgumentDoc, CommandContext, CommandSpec } from "./types.ts";
import { addMembers } from "./zset.ts";

const BAD_UNIT = "ERR unsupported unit provided. please use M, KM, FT, MI";
const NO_MEMBER = "ERR could not decode requested zset member";
const COUNT_NOT_POSITIVE = "ERR COUNT must be > 0";
const ANY_WITHOUT_COUNT = "ERR the ANY argument requires COUNT argument";

/** Meters per unit (Redis's `extractUnitOrReply`). */
const UNITS: ReadonlyMap<string, number> = new Map([
  ["M", 1],
  ["KM", 1000],
  ["FT", 0.3048],
  ["MI", 1609.34],
]);

function unitArgument(text: string): number {
  const meters = text.length <= 2 ? UNITS.get(text.toUpperCase()) : undefined;
  if (meters === undefined) throw new CommandError(BAD_UNIT);
  return meters;
}

/** A longitude, latitude pair (Redis's `extractLongLatOrReply`). */
function positionArgument(longitudeText: string, latitudeText: string): LonLat {
  const longitude = floatArgument(longitudeText, NOT_FLOAT);
  const latitude = floatArgument(latitudeText, NOT_FLOAT);
  if (!isValidPosition(longitude, latitude)) {
    throw new CommandError(
      `ERR invalid longitude,latitude pair ${formatFixed(longitude, 6)},${
        formatFixed(latitude, 6)
      }`,
    );
  }
  return { longitude, latitude };
}

/** A radius and its unit (Redis's `extractDistanceOrReply`). */
function radiusArgument(
  radiusText: string,
  unitText: string,
): { radius: number; toMeters: number } {
  const radius = floatArgument(radiusText, "ERR need numeric radius");
  if (radius < 0) throw new CommandError("ERR radius cannot be negative");
  return { radius, toMeters: unitArgument(unitText) };
}

/** A box's width, height and unit (Redis's `extractBoxOrReply`). */
function boxArgument(
  widthText: string,
  heightText: string,
  unitText: string,
): { width: number; height: number; toMeters: number } {
  const width = floatArgument(widthText, "ERR need numeric width");
  const height = floatArgument(heightText, "ERR need numeric height");
  if (height < 0 || width < 0) throw new CommandError("ERR height or width cannot be negative");
  return { width, height, toMeters: unitArgument(unitText) };
}

/** Redis's `addReplyDoubleDistance`: `llrint(d × 10⁴)` written with four decimals. */
function distanceReply(meters: number): Reply {
  const scaled = roundHalfEven(meters * 10000);
  const negative = scaled < 0;
  const digits = String(Math.abs(scaled)).padStart(5, "0");
  return bulk(`${negative ? "-" : ""}${digits.slice(0, -4)}.${digits.slice(-4)}`);
}

/** C's `llrint` in the default rounding mode: to nearest, ties to even. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** A coordinate as Redis's `addReplyHumanLongDouble` prints it (`%.17Lf`, trailing zeros cut). */
function coordinateReply(value: number): Reply {
  return { kind: "double", value, text: formatLongDouble(longDoubleFromDouble(value)) };
}

// ---------------------------------------------------------------------------
// GEOADD, GEOPOS, GEODIST, GEOHASH

/** GEOADD key [NX|XX] [CH] longitude latitude member …, run as the ZADD it stands for. */
function geoaddCommand(context: CommandContext, argv: readonly string[]): Reply {
  let index = 2;
  let nx = false;
  let xx = false;
  for (; index < argv.length; index++) {
    const word = argv[index]!;
    if (isKeyword(word, "NX")) nx = true;
    else if (isKeyword(word, "XX")) xx = true;
    else if (!isKeyword(word, "CH")) break;
  }
  if ((argv.length - index) % 3 !== 0 || (nx && xx)) throw new CommandError(SYNTAX);
  const zadd = ["ZADD", ...argv.slice(1, index)];
  for (; index < argv.length; index += 3) {
    const position = positionArgument(argv[index]!, argv[index + 1]!);
    zadd.push(String(encodeScore(position)), argv[index + 2]!);
  }
  const reply = addMembers(context, zadd, false);
  context.session.propagateAs = [zadd];
  return reply;
}

function geoposCommand(context: CommandContext, argv: readonly string[]): Reply {
  const zset = context.keyspace.getCollection(argv[1]!, SortedSet);
  return array(
    argv.slice(2).map((member) => {
      const score = zset?.score(member);
      if (score === undefined) return NIL_ARRAY;
      const { longitude, latitude } = decodeScore(score);
      return array([coordinateReply(longitude), coordinateReply(latitude)]);
    }),
  );
}

function geodistCommand(context: CommandContext, argv: readonly string[]): Reply {
  if (argv.length > 5) throw new CommandError(SYNTAX);
  const toMeters = argv.length === 5 ? unitArgument(argv[4]!) : 1;
  const zset = context.keyspace.getCollection(argv[1]!, SortedSet);
  if (zset === undefined) return NIL;
  const first = zset.score(argv[2]!);
  const second = zset.score(argv[3]!);
  if (first === undefined || second === undefined) return NIL;
  return distanceReply(geoDistance(decodeScore(first), decodeScore(second)) / toMeters);
}

function geohashCommand(context: CommandContext, argv: readonly string[]): Reply {
  const zset = context.keyspace.getCollection(argv[1]!, SortedSet);
  return array(
    argv.slice(2).map((member) => {
      const score = zset?.score(member);
      return score === undefined ? NIL : bulk(standardGeohash(score));
    }),
  );
}

// ---------------------------------------------------------------------------
// Searches

/** Which search command runs (Redis's `georadiusGeneric` flags). */
interface SearchVariant {
  /** GEORADIUS: center and radius are positional. */
  readonly byCoordinates?: boolean;
  /** GEORADIUSBYMEMBER: member and radius are positional. */
  readonly byMember?: boolean;
  /** The _RO variants refuse STORE and STOREDIST. */
  readonly noStore?: boolean;
  /** GEOSEARCH and GEOSEARCHSTORE: FROM… and BY… options. */
  readonly search?: boolean;
  /** GEOSEARCHSTORE: the destination comes first. */
  readonly searchStore?: boolean;
}

/** A point found by a search. */
interface Found {
  readonly member: string;
  readonly score: number;
  readonly position: LonLat;
  /** Meters from the centre, then in the request's unit once replied. */
  readonly meters: number;
}

function georadiusGeneric(
  context: CommandContext,
  argv: readonly string[],
  variant: SearchVariant,
): Reply {
  const keyspace = context.keyspace;
  const sourceIndex = variant.searchStore ? 2 : 1;
  const zset = keyspace.getCollection(argv[sourceIndex]!, SortedSet);
  let center: LonLat | undefined;
  let radius: { radius: number; toMeters: number } | undefined;
  let box: { width: number; height: number; toMeters: number } | undefined;
  let base: number;
  let storeKey: string | undefined;
  let storeDistance = false;
  if (variant.byCoordinates) {
    base = 6;
    center = positionArgument(argv[2]!, argv[3]!);
    radius = radiusArgument(argv[4]!, argv[5]!);
  } else if (variant.byMember) {
    base = 5;
    // Without the key Redis parses on only to choose the reply (array, or 0 with STORE).
    if (zset !== undefined) {
      const score = zset.score(argv[2]!);
      if (score === undefined) throw new CommandError(NO_MEMBER);
      center = decodeScore(score);
      radius = radiusArgument(argv[3]!, argv[4]!);
    }
  } else {
    base = variant.searchStore ? 3 : 2;
    if (variant.searchStore) storeKey = argv[1]!;
  }

  let withDist = false;
  let withHash = false;
  let withCoord = false;
  let fromMember = false;
  let fromPosition = false;
  let sort: "NONE" | "ASC" | "DESC" = "NONE";
  let any = false;
  let count = 0;
  const canStore = !variant.noStore && !variant.search;
  for (let i = base; i < argv.length; i++) {
    const word = argv[i]!;
    const remaining = argv.length - i - 1;
    if (isKeyword(word, "WITHDIST")) withDist = true;
    else if (isKeyword(word, "WITHHASH")) withHash = true;
    else if (isKeyword(word, "WITHCOORD")) withCoord = true;
    else if (isKeyword(word, "ANY")) any = true;
    else if (isKeyword(word, "ASC")) sort = "ASC";
    else if (isKeyword(word, "DESC")) sort = "DESC";
    else if (isKeyword(word, "COUNT") && remaining >= 1) {
      const value = integerArgument(argv[++i]!);
      if (value <= 0) throw new CommandError(COUNT_NOT_POSITIVE);
      count = Number(value);
    } else if (isKeyword(word, "STORE") && remaining >= 1 && canStore) {
      storeKey = argv[++i]!;
      storeDistance = false;
    } else if (isKeyword(word, "STOREDIST") && remaining >= 1 && canStore) {
      storeKey = argv[++i]!;
      storeDistance = true;
    } else if (isKeyword(word, "STOREDIST") && variant.searchStore) {
      storeDistance = true;
    } else if (isKeyword(word, "FROMMEMBER") && remaining >= 1 && variant.search && !fromPosition) {
      const member = argv[++i]!;
      fromMember = true;
      if (zset === undefined) continue;
      const score = zset.score(member);
      if (score === undefined) throw new CommandError(NO_MEMBER);
      center = decodeScore(score);
    } else if (isKeyword(word, "FROMLONLAT") && remaining >= 2 && variant.search && !fromMember) {
      center = positionArgument(argv[i + 1]!, argv[i + 2]!);
      fromPosition = true;
      i += 2;
    } else if (isKeyword(word, "BYRADIUS") && remaining >= 2 && variant.search && !box) {
      radius = radiusArgument(argv[i + 1]!, argv[i + 2]!);
      i += 2;
    } else if (isKeyword(word, "BYBOX") && remaining >= 3 && variant.search && !radius) {
      box = boxArgument(argv[i + 1]!, argv[i + 2]!, argv[i + 3]!);
      i += 3;
    } else {
      throw new CommandError(SYNTAX);
    }
  }

  if (storeKey !== undefined && (withDist || withHash || withCoord)) {
    throw new CommandError(
      `ERR ${
        variant.searchStore ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS"
      } is not compatible with WITHDIST, WITHHASH and WITHCOORD options`,
    );
  }
  if (variant.search && !fromMember && !fromPosition) {
    throw new CommandError(
      `ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${argv[0]}`,
    );
  }
  if (variant.search && !radius && !box) {
    throw new CommandError(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${argv[0]}`);
  }
  if (any && count === 0) throw new CommandError(ANY_WITHOUT_COUNT);

  if (zset === undefined || center === undefined) {
    if (storeKey === undefined) return EMPTY_ARRAY;
    if (keyspace.delete(storeKey)) notify(context, NotifyClass.generic, "del", storeKey);
    return ZERO;
  }
  // COUNT means the nearest ones, unless ANY asks for any matches.
  if (count !== 0 && sort === "NONE" && !any) sort = "ASC";

  const shape: GeoShape = box !== undefined
    ? { kind: "box", center, toMeters: box.toMeters, width: box.width, height: box.height }
    : { kind: "radius", center, toMeters: radius!.toMeters, radius: radius!.radius };
  const found = pointsInShape(zset, shape, any ? count : 0);
  if (found.length === 0 && storeKey === undefined) return EMPTY_ARRAY;
  // Array.prototype.sort is stable: points at equal distances keep their scan order.
  if (sort === "ASC") found.sort((a, b) => a.meters - b.meters);
  if (sort === "DESC") found.sort((a, b) => b.meters - a.meters);
  const returned = count === 0 ? found : found.slice(0, count);
  const toMeters = shape.toMeters;

  if (storeKey === undefined) {
    const withOptions = withDist || withHash || withCoord;
    return array(returned.map((point) => {
      if (!withOptions) return bulk(point.member);
      const items: Reply[] = [bulk(point.member)];
      if (withDist) items.push(distanceReply(point.meters / toMeters));
      if (withHash) items.push(integer(point.score));
      if (withCoord) {
        items.push(
          array([
            coordinateReply(point.position.longitude),
            coordinateReply(point.position.latitude),
          ]),
        );
      }
      return array(items);
    }));
  }
  if (returned.length === 0) {
    if (keyspace.delete(storeKey)) notify(context, NotifyClass.generic, "del", storeKey);
    return ZERO;
  }
  const stored = new SortedSet();
  for (const point of returned) {
    stored.add(point.member, storeDistance ? point.meters / toMeters : point.score);
  }
  keyspace.set(storeKey, stored);
  notify(
    context,
    NotifyClass.zset,
    variant.search ? "geosearchstore" : "georadiusstore",
    storeKey,
  );
  return integer(returned.length);
}

/** Members read per step of a range scan: few tree walks, little garbage. */
const SCAN_BATCH = 128;

/**
 * The points of `zset` inside `shape`, cell by cell in Redis's order and by
 * score within a cell; with `limit` (COUNT … ANY) it stops once that many
 * are found (Redis's `membersOfAllNeighbors` and `geoGetPointsInRange`).
 */
function pointsInShape(zset: SortedSet, shape: GeoShape, limit: number): Found[] {
  const found: Found[] = [];
  for (const range of searchRanges(shape)) {
    if (limit !== 0 && found.length >= limit) break;
    const first = zset.firstRankInScoreRange(
      { value: range.min, exclusive: false },
      { value: range.max, exclusive: true },
    );
    if (first < 0) continue;
    const last = zset.lastRankInScoreRange(
      { value: range.min, exclusive: false },
      { value: range.max, exclusive: true },
    );
    scan: for (let rank = first; rank <= last; rank += SCAN_BATCH) {
      for (const [member, score] of zset.range(rank, Math.min(last, rank + SCAN_BATCH - 1))) {
        const position = decodeScore(score);
        const meters = distanceWithinShape(shape, position);
        if (meters !== undefined) found.push({ member, score, position, meters });
        if (limit !== 0 && found.length >= limit) break scan;
      }
    }
  }
  return found;
}

// ---------------------------------------------------------------------------
// The table

const KEY_ARGUMENT: ArgumentDoc = { name: "key", type: "key" };
const MEMBER_ARGUMENT: ArgumentDoc = { name: "member", type: "string" };
const FIRST_KEY = { first: 1, last: 1, step: 1 } as const;
const UNIT_ARGUMENT: ArgumentDoc = {
  name: "unit",
  type: "oneof",
  arguments: [
    { name: "m", type: "pure-token", token: "M" },
    { name: "km", type: "pure-token", token: "KM" },
    { name: "ft", type: "pure-token", token: "FT" },
    { name: "mi", type: "pure-token", token: "MI" },
  ],
};
const REPLY_OPTIONS: readonly ArgumentDoc[] = [
  { name: "withcoord", type: "pure-token", token: "WITHCOORD", optional: true },
  { name: "withdist", type: "pure-token", token: "WITHDIST", optional: true },
  { name: "withhash", type: "pure-token", token: "WITHHASH", optional: true },
];
const COUNT_BLOCK: ArgumentDoc = {
  name: "count_block",
  type: "block",
  optional: true,
  arguments: [
    { name: "count", type: "integer", token: "COUNT" },
    { name: "any", type: "pure-token", token: "ANY", optional: true },
  ],
};
const ORDER: ArgumentDoc = {
  name: "order",
  type: "oneof",
  optional: true,
  arguments: [
    { name: "asc", type: "pure-token", token: "ASC" },
    { name: "desc", type: "pure-token", token: "DESC" },
  ],
};
const STORE_OPTIONS: ArgumentDoc = {
  name: "store",
  type: "oneof",
  optional: true,
  arguments: [
    { name: "storekey", type: "key", token: "STORE" },
    { name: "storedistkey", type: "key", token: "STOREDIST" },
  ],
};
const SEARCH_FROM: ArgumentDoc = {
  name: "from",
  type: "oneof",
  arguments: [
    { name: "member", type: "string", token: "FROMMEMBER" },
    {
      name: "fromlonlat",
      type: "block",
      token: "FROMLONLAT",
      arguments: [{ name: "longitude", type: "double" }, { name: "latitude", type: "double" }],
    },
  ],
};
const SEARCH_BY: ArgumentDoc = {
  name: "by",
  type: "oneof",
  arguments: [
    {
      name: "circle",
      type: "block",
      arguments: [{ name: "radius", type: "double", token: "BYRADIUS" }, UNIT_ARGUMENT],
    },
    {
      name: "box",
      type: "block",
      arguments: [
        { name: "width", type: "double", token: "BYBOX" },
        { name: "height", type: "double" },
        UNIT_ARGUMENT,
      ],
    },
  ],
};
const RADIUS_COMPLEXITY =
  "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.";
const SEARCH_COMPLEXITY =
  "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape";
const BY_COORDINATES: readonly ArgumentDoc[] = [
  KEY_ARGUMENT,
  { name: "longitude", type: "double" },
  { name: "latitude", type: "double" },
  { name: "radius", type: "double" },
  UNIT_ARGUMENT,
  ...REPLY_OPTIONS,
  COUNT_BLOCK,
  ORDER,
];
const BY_MEMBER: readonly ArgumentDoc[] = [
  KEY_ARGUMENT,
  MEMBER_ARGUMENT,
  { name: "radius", type: "double" },
  UNIT_ARGUMENT,
  ...REPLY_OPTIONS,
  COUNT_BLOCK,
  ORDER,
];

export const GEO_COMMANDS: readonly CommandSpec[] = [
  {
    name: "geoadd",
    arity: -5,
    flags: ["write", "denyoom"],
    keys: FIRST_KEY,
    group: "geo",
    summary:
      "Add one or more geospatial items in the geospatial index represented using a sorted set",
    since: "3.2.0",
    complexity:
      "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
    arguments: [
      KEY_ARGUMENT,
      {
        name: "condition",
        type: "oneof",
        optional: true,
        arguments: [
          { name: "nx", type: "pure-token", token: "NX" },
          { name: "xx", type: "pure-token", token: "XX" },
        ],
      },
      { name: "change", type: "pure-token", token: "CH", optional: true },
      {
        name: "data",
        type: "block",
        multiple: true,
        arguments: [
          { name: "longitude", type: "double" },
          { name: "latitude", type: "double" },
          MEMBER_ARGUMENT,
        ],
      },
    ],
    handler: geoaddCommand,
  },
  {
    name: "geopos",
    arity: -2,
    flags: ["readonly"],
    keys: FIRST_KEY,
    group: "geo",
    summary: "Returns longitude and latitude of members of a geospatial index",
    since: "3.2.0",
    complexity: "O(N) where N is the number of members requested.",
    arguments: [KEY_ARGUMENT, { ...MEMBER_ARGUMENT, optional: true, multiple: true }],
    handler: geoposCommand,
  },
  {
    name: "geodist",
    arity: -4,
    flags: ["readonly"],
    keys: FIRST_KEY,
    group: "geo",
    summary: "Returns the distance between two members of a geospatial index",
    since: "3.2.0",
    complexity: "O(log(N))",
    arguments: [
      KEY_ARGUMENT,
      { name: "member1", type: "string" },
      { name: "member2", type: "string" },
      { ...UNIT_ARGUMENT, optional: true },
    ],
    handler: geodistCommand,
  },
  {
    name: "geohash",
    arity: -2,
    flags: ["readonly"],
    keys: FIRST_KEY,
    group: "geo",
    summary: "Returns members of a geospatial index as standard geohash strings",
    since: "3.2.0",
    complexity:
      "O(log(N)) for each member requested, where N is the number of elements in the sorted set.",
    arguments: [KEY_ARGUMENT, { ...MEMBER_ARGUMENT, optional: true, multiple: true }],
    handler: geohashCommand,
  },
  {
    name: "geosearch",
    arity: -7,
    flags: ["readonly"],
    keys: FIRST_KEY,
    group: "geo",
    summary:
      "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.",
    since: "6.2.0",
    complexity: SEARCH_COMPLEXITY,
    arguments: [KEY_ARGUMENT, SEARCH_FROM, SEARCH_BY, ORDER, COUNT_BLOCK, ...REPLY_OPTIONS],
    handler: (context, argv) => georadiusGeneric(context, argv, { search: true }),
  },
  {
    name: "geosearchstore",
    arity: -8,
    flags: ["write", "denyoom"],
    keys: { first: 1, last: 2, step: 1 },
    group: "geo",
    summary:
      "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.",
    since: "6.2.0",
    complexity: SEARCH_COMPLEXITY,
    arguments: [
      { name: "destination", type: "key" },
      { name: "source", type: "key" },
      SEARCH_FROM,
      SEARCH_BY,
      ORDER,
      COUNT_BLOCK,
      { name: "storedist", type: "pure-token", token: "STOREDIST", optional: true },
    ],
    handler: (context, argv) =>
      georadiusGeneric(context, argv, { search: true, searchStore: true }),
  },
  {
    name: "georadius",
    arity: -6,
    flags: ["write", "denyoom"],
    keys: FIRST_KEY,
    group: "geo",
    summary:
      "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point",
    since: "3.2.0",
    complexity: RADIUS_COMPLEXITY,
    arguments: [...BY_COORDINATES, STORE_OPTIONS],
    handler: (context, argv) => georadiusGeneric(context, argv, { byCoordinates: true }),
  },
  {
    name: "georadius_ro",
    arity: -6,
    flags: ["readonly"],
    keys: FIRST_KEY,
    group: "geo",
    summary: "A read-only variant for GEORADIUS",
    since: "3.2.10",
    complexity: RADIUS_COMPLEXITY,
    arguments: BY_COORDINATES,
    handler: (context, argv) =>
      georadiusGeneric(context, argv, { byCoordinates: true, noStore: true }),
  },
  {
    name: "georadiusbymember",
    arity: -5,
    flags: ["write", "denyoom"],
    keys: FIRST_KEY,
    group: "geo",
    summary:
      "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member",
    since: "3.2.0",
    complexity: RADIUS_COMPLEXITY,
    arguments: [...BY_MEMBER, STORE_OPTIONS],
    handler: (context, argv) => georadiusGeneric(context, argv, { byMember: true }),
  },
  {
    name: "georadiusbymember_ro",
    arity: -5,
    flags: ["readonly"],
    keys: FIRST_KEY,
    group: "geo",
    summary: "A read-only variant for GEORADIUSBYMEMBER",
    since: "3.2.10",
    complexity: RADIUS_COMPLEXITY,
    arguments: BY_MEMBER,
    handler: (context, argv) => georadiusGeneric(context, argv, { byMember: true, noStore: true }),
  },
];
