// storage.js - JSON in localStorage that never throws: with storage full,
// disabled or holding garbage, the page keeps working for this visit.

export function load(key, fallback) {
  try {
    const text = localStorage.getItem(key);
    return text === null ? fallback : JSON.parse(text);
  } catch {
    return fallback;
  }
}

export function save(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
    return true;
  } catch {
    return false;
  }
}

export function remove(key) {
  try {
    localStorage.removeItem(key);
  } catch {
    /* nothing stored, nothing to remove */
  }
}

// Calls fn() when another tab changes key.
export function onChange(key, fn) {
  window.addEventListener('storage', (event) => {
    if (event.key === key || event.key === null) fn();
  });
}
