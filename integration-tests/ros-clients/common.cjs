// What both client scripts use.

/** Resolves after ms milliseconds. */
exports.sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The mean of a value over the last ten messages (half a second at 20 Hz): one sample's encoder quantization averages out. */
exports.meanOfLast = (messages, value) => {
  const last = messages.slice(-10);
  return last.length === 0 ? undefined : last.reduce((sum, m) => sum + value(m), 0) / last.length;
};
