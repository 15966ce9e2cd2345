// A panel's store for React's useSyncExternalStore: the last state
// published, with seq counting the updates (so a panel redraws on every
// response, even one that repeats the state). Fan-out and Plan each keep
// one.
export function createStore(initial) {
  let last = { ...initial, seq: 0 };
  const listeners = new Set();
  return {
    publish(state) {
      last = { ...state, seq: last.seq + 1 };
      for (const l of listeners) l();
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    snapshot: () => last,
  };
}
