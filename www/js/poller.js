// poller.js - polls with backoff: the wait starts short, grows while nothing
// changes (or the server cannot be reached), drops back when something
// changes, pauses while the tab is hidden, and ends for good on 'stop'.

// step() resolves to 'changed', 'same', 'error' or 'stop'; after each step
// scheduled(outcome, ms until the next) is called. Returns { refresh()
// (poll now), stop() }.
export function poll(step, { first = 1000, max = 15000, factor = 1.6, scheduled = () => {} } = {}) {
  let wait = first;
  let timer = null;
  let running = false;
  let stopped = false;

  function schedule() {
    if (!stopped && !running && !document.hidden && timer === null) timer = setTimeout(tick, wait);
  }

  function cancelTimer() {
    clearTimeout(timer);
    timer = null;
  }

  async function tick() {
    cancelTimer();
    if (stopped || running) return;
    running = true;
    let outcome;
    try {
      outcome = await step();
    } catch {
      outcome = 'error';
    }
    running = false;
    if (outcome === 'stop') {
      stopped = true;
      return;
    }
    if (outcome === 'changed') wait = first;
    else wait = Math.min(max, wait * (outcome === 'error' ? 2 : factor));
    scheduled(outcome, wait);
    schedule();
  }

  document.addEventListener('visibilitychange', () => {
    cancelTimer();
    if (!document.hidden && !stopped) {
      wait = first;
      tick();
    }
  });

  tick();
  return {
    refresh() {
      wait = first;
      tick();
    },
    stop() {
      stopped = true;
      cancelTimer();
    },
  };
}
