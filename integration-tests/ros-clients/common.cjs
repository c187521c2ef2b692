// What both client scripts use.

/** Resolves after ms milliseconds. */
exports.sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The median of a value over the last twenty messages (a second at 20 Hz): robust to one sample's
 * encoder quantization and to the few samples of a simulated plant catching up in a burst after a
 * loaded machine held its thread.
 */
exports.medianOfLast = (messages, value) => {
  const last = messages.slice(-20).map(value).sort((a, b) => a - b);
  if (last.length === 0) return undefined;
  const mid = Math.floor(last.length / 2);
  return last.length % 2 === 1 ? last[mid] : (last[mid - 1] + last[mid]) / 2;
};

/**
 * Opens a WebSocket handshake as a browser page or a rebinding attacker would, with an Origin or
 * a Host header of its own, and resolves with what the server answered: {status: 101} when it
 * upgraded, else the HTTP status and body of the refusal.
 */
exports.handshake = (url, { origin, host, protocols } = {}) => new Promise((resolve, reject) => {
  const { WebSocket } = require('ws');
  const options = { handshakeTimeout: 5000 };
  if (origin) options.origin = origin;
  if (host) options.headers = { Host: host };
  const ws = new WebSocket(url, protocols ?? [], options);
  ws.on('open', () => { ws.close(); resolve({ status: 101 }); });
  ws.on('unexpected-response', (req, res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c) => { body += c; });
    res.on('end', () => resolve({ status: res.statusCode, body: body.trim() }));
  });
  ws.on('error', (e) => reject(new Error(`handshake with ${url}: ${e?.message ?? e}`)));
});
