/**
 * The HTTP view's live page: one self-contained document (no files, no
 * network beyond this server) that polls `/info.json` once a second and
 * draws ops/s, memory, clients, keys and the busiest command's latency
 * percentiles over the last two minutes.
 *
 * @module
 */

export const LIVE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Kache live view</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 24px; background: #fafafa; color: #222; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  #meta { color: #666; margin-bottom: 16px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 12px; }
  .card { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 12px; }
  .label { color: #666; font-size: 12px; letter-spacing: .04em; }
  .value { font-size: 26px; font-variant-numeric: tabular-nums; margin: 4px 0 8px; }
  canvas { width: 100%; height: 48px; display: block; }
  #error { color: #b00; }
</style>
</head>
<body>
<h1>Kache</h1>
<div id="meta">connecting…</div>
<div id="error"></div>
<div class="grid" id="cards"></div>
<script>
const HISTORY = 120;
const CARDS = [
  ["ops", "ops/s", (s) => num(s.stats.instantaneous_ops_per_sec), String],
  ["memory", "memory used", (s) => num(s.memory.used_memory), bytes],
  ["rss", "resident (RSS)", (s) => num(s.memory.used_memory_rss), bytes],
  ["clients", "connected clients", (s) => num(s.clients.connected_clients), String],
  ["keys", "keys", (s) => keys(s), String],
  ["p50", "p50 latency (µs)", (s) => busiest(s)[0], (v) => v.toFixed(1)],
  ["p99", "p99 latency (µs)", (s) => busiest(s)[1], (v) => v.toFixed(1)],
  ["hits", "hit rate", (s) => hitRate(s), (v) => (v * 100).toFixed(1) + " %"],
];
const series = Object.fromEntries(CARDS.map(([id]) => [id, []]));
const cards = document.getElementById("cards");
for (const [id, label] of CARDS) {
  const card = document.createElement("div");
  card.className = "card";
  card.innerHTML = '<div class="label">' + label + '</div><div class="value" id="v-' + id +
    '">–</div><canvas id="c-' + id + '" width="240" height="48"></canvas>';
  cards.appendChild(card);
}
function num(text) { const n = Number(text); return Number.isFinite(n) ? n : 0; }
function bytes(n) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
}
function keys(s) {
  let total = 0;
  for (const value of Object.values(s.keyspace || {})) total += num(/keys=(\\d+)/.exec(value)?.[1]);
  return total;
}
function hitRate(s) {
  const hits = num(s.stats.keyspace_hits), misses = num(s.stats.keyspace_misses);
  return hits + misses === 0 ? 0 : hits / (hits + misses);
}
function busiest(s) {
  let best, calls = -1;
  for (const [name, value] of Object.entries(s.commandstats || {})) {
    const count = num(/calls=(\\d+)/.exec(value)?.[1]);
    if (count > calls) { calls = count; best = name.replace("cmdstat_", ""); }
  }
  const line = (s.latencystats || {})["latency_percentiles_usec_" + best] || "";
  return [num(/p50=([\\d.]+)/.exec(line)?.[1]), num(/p99=([\\d.]+)/.exec(line)?.[1])];
}
function draw(id) {
  const canvas = document.getElementById("c-" + id), points = series[id];
  const g = canvas.getContext("2d");
  g.clearRect(0, 0, canvas.width, canvas.height);
  if (points.length < 2) return;
  const max = Math.max(...points) || 1;
  g.strokeStyle = "#c33"; g.lineWidth = 1.5; g.beginPath();
  points.forEach((value, i) => {
    const x = (i / (points.length - 1)) * canvas.width;
    const y = canvas.height - 2 - (value / max) * (canvas.height - 4);
    i === 0 ? g.moveTo(x, y) : g.lineTo(x, y);
  });
  g.stroke();
}
async function poll() {
  try {
    const response = await fetch("info.json", { cache: "no-store" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    const s = await response.json();
    document.getElementById("error").textContent = "";
    document.getElementById("meta").textContent = "Kache " + s.server.kache_version +
      " (Redis " + s.server.redis_version + " compatible), up " + s.server.uptime_in_seconds +
      " s, port " + s.server.tcp_port;
    for (const [id, , read, format] of CARDS) {
      const value = read(s);
      series[id].push(value);
      if (series[id].length > HISTORY) series[id].shift();
      document.getElementById("v-" + id).textContent = format(value);
      draw(id);
    }
  } catch (error) {
    document.getElementById("error").textContent = "Cannot reach the server: " + error.message;
  }
}
poll();
setInterval(poll, 1000);
</script>
</body>
</html>
`;
