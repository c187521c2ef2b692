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
