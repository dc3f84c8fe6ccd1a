// Shared by both reference pages: URL parameters, the remote-audio element and
// the counters the benchmark reads (window.BENCH). Not part of either library.
// Standalone: the page's query. As a Finesse gadget: the `bench` user pref (the same query).
export const params = new URLSearchParams(window.BENCH_QUERY || location.search);
export const config = {
  ws: params.get('ws'),
  domain: params.get('domain'),
  user: params.get('user'),
  password: params.get('password'),
  iceServers: JSON.parse(params.get('ice') || '[]'),
};
export const bench = (window.BENCH = { registered: 0, incoming: 0, accepted: 0, ended: 0, failed: 0, errors: [] });
export const speaker = new Audio();
speaker.autoplay = true;
export function play(stream) {
  speaker.srcObject = stream;
  speaker.play().catch(() => {});
}
export function error(what) {
  bench.errors.push(String(what));
  if (bench.errors.length > 50) bench.errors.shift();
}
