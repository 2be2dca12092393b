import assert from "node:assert/strict";
import fc from "fast-check";
import { formatLongDouble, longDoubleFromDouble } from "../../lib/long_double.ts";
import {
  decodeScore,
  distance,
  distanceWithinShape,
  encodeScore,
  estimateStepsByRadius,
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  searchRanges,
  standardGeohash,
} from "../../lib/geohash.ts";

/**
 * Recorded from redis-server 7.0.15: GEOADD at "longitude latitude", then
 * ZSCORE, GEOPOS (longitude and latitude as printed) and GEOHASH.
 */
const GOLDEN = `
13.361389 38.115556 3479099956230698 13.36138933897018433 38.11555639549629859 sqc8b49rny0
-122.4194 37.7749 1367859919124626 -122.41940170526504517 37.77490001056577995 9q8yyk8ytp0
151.2093 -33.8688 3252046221964352 151.20929986238479614 -33.86880091934155956 r3gx2f77bj0
-0.1278 51.5074 2163557714755072 -0.12779921293258667 51.50740077990133159 gcpvj0duq50
180 85.05112878 13510798882111488 180 85.0511287799999991 bp05b5048p0
-180 -85.05112878 0 -179.99999731779098511 -85.05112751263942528 00bh0hbj200
0 0 3377699720527872 0.00000268220901489 0.00000126736058093 s0000000000
-73.9857 40.7484 1791875672646935 -73.98570209741592407 40.74839914563441567 dr5ru6j28h0
179.999999 -0.000001 3377699720527871 179.99999731779098511 -0.00000126736058093 rzzzzzzzzz0
`.trim().split("\n").map((line) => line.split(" "));

/** A coordinate as GEOPOS prints it. */
function printed(value: number): string {
  return formatLongDouble(longDoubleFromDouble(value));
}

Deno.test("encodeScore, decodeScore and standardGeohash give Redis's values", () => {
  for (const [longitude, latitude, score, longitudeOut, latitudeOut, hash] of GOLDEN) {
    assert.equal(
      encodeScore({ longitude: Number(longitude), latitude: Number(latitude) }),
      Number(score),
    );
    const decoded = decodeScore(Number(score));
    assert.deepEqual([printed(decoded.longitude), printed(decoded.latitude)], [
      longitudeOut,
      latitudeOut,
    ]);
    assert.equal(standardGeohash(Number(score)), hash);
  }
});

Deno.test("decodeScore decodes any score as C's uint64 cast makes it (GEOPOS on a plain sorted set)", () => {
  assert.deepEqual(decodeScore(-1), { longitude: 180, latitude: GEO_LAT_MAX });
  assert.deepEqual(decodeScore(Infinity), decodeScore(0));
  assert.equal(decodeScore(-Infinity).longitude, 180);
});

Deno.test("distance gives Redis's GEODIST to four decimals", () => {
  const at = (index: number) => decodeScore(Number(GOLDEN[index]![2]));
  assert.equal(distance(at(1), at(7)).toFixed(4), "4131127.2399");
  assert.equal((distance(at(2), at(3)) / 1000).toFixed(4), "16998.7282");
  assert.equal((distance(at(4), at(5)) / 1609.34).toFixed(4), "11756.2756");
});

Deno.test("a decoded score lies within its cell of the position it encodes", () => {
  fc.assert(
    fc.property(
      // A hair below longitude 180 rounds to it, where Redis's hash overflows into bit 53.
      fc.double({ min: -180, max: 179.9999, noNaN: true }),
      fc.double({ min: GEO_LAT_MIN, max: GEO_LAT_MAX, noNaN: true }),
      (longitude, latitude) => {
        const decoded = decodeScore(encodeScore({ longitude, latitude }));
        assert.ok(Math.abs(decoded.longitude - longitude) <= 360 / 2 ** 26);
        assert.ok(Math.abs(decoded.latitude - latitude) <= (GEO_LAT_MAX - GEO_LAT_MIN) / 2 ** 26);
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("searchRanges cover every point within the radius", () => {
  fc.assert(
    fc.property(
      fc.double({ min: -179, max: 179, noNaN: true }),
      fc.double({ min: -80, max: 80, noNaN: true }),
      fc.double({ min: -3, max: 3, noNaN: true }),
      fc.double({ min: -3, max: 3, noNaN: true }),
      fc.integer({ min: 1_000, max: 800_000 }),
      (longitude, latitude, dLon, dLat, radius) => {
        const center = { longitude, latitude };
        // A point at longitude 180 lies in no cell (bit 53 set): Redis never finds it either.
        const score = encodeScore({
          longitude: Math.max(-180, Math.min(179.9999, longitude + dLon)),
          latitude: Math.max(-85, Math.min(85, latitude + dLat)),
        });
        const shape = { kind: "radius" as const, center, toMeters: 1, radius };
        if (distanceWithinShape(shape, decodeScore(score)) === undefined) return;
        assert.ok(searchRanges(shape).some((range) => score >= range.min && score < range.max));
      },
    ),
    { numRuns: 3000 },
  );
});

Deno.test("estimateStepsByRadius uses coarser cells for larger radii and near the poles", () => {
  assert.equal(estimateStepsByRadius(0, 0), 26);
  assert.ok(estimateStepsByRadius(1_000, 0) > estimateStepsByRadius(100_000, 0));
  assert.equal(estimateStepsByRadius(100_000, 81), estimateStepsByRadius(100_000, 0) - 2);
  assert.equal(estimateStepsByRadius(1e9, 0), 1);
});
