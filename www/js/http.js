// http.js - the one transport to the API, shared by the storefront
// (api.js) and the staff pages (staff/js/staff-api.js): JSON in and out, a
// deadline, and the API's error shape ({"error": sentence, "code": machine
// code, "field"?: input path}) turned into an ApiError. It knows no
// endpoint; the two api modules do.

const TIMEOUT_MS = 15000;

export class ApiError extends Error {
  // status: HTTP status, 0 when the server could not be reached.
  // code: the API's machine code ("invalid_email", ...), or "network",
  // "timeout", "http_<status>" when the answer was not the API's.
  // field: the input to blame ("customer_email", "items[0].quantity") or null.
  // retryAfter: seconds from a Retry-After header (429, 503), or null.
  constructor(message, { status = 0, code = 'network', field = null, retryAfter = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
  }

  // True when the request may not have reached the API or its answer was
  // lost: the same request (same Idempotency-Key) may be sent again.
  get retryable() {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

const FALLBACK = {
  0: 'We could not reach the bakery. Please check your connection and try again.',
  404: 'We could not find that.',
  429: 'We are very busy right now. Please wait a moment and try again.',
  503: 'The bakery is briefly unavailable. Please try again in a moment.',
};

function fallbackMessage(status) {
  if (FALLBACK[status]) return FALLBACK[status];
  if (status >= 500) return 'Something went wrong on our side. Please try again.';
  return `The request failed (HTTP ${status}).`;
}

function retryAfter(res) {
  const s = Number.parseInt(res.headers.get('Retry-After') ?? '', 10);
  return Number.isFinite(s) && s >= 0 ? s : null;
}

function failure(res, data) {
  const apiShape = data && typeof data === 'object' && typeof data.error === 'string';
  return new ApiError(apiShape && data.error ? data.error : fallbackMessage(res.status), {
    status: res.status,
    code: apiShape && typeof data.code === 'string' ? data.code : `http_${res.status}`,
    field: apiShape && typeof data.field === 'string' ? data.field : null,
    retryAfter: retryAfter(res),
  });
}

// method, path; body (sent as JSON) and extra headers optional. Resolves to
// the decoded JSON (null for a 204), rejects with an ApiError. Cookies go
// to the same origin only (fetch's default, written out for the staff
// session's sake).
export async function request(method, path, { body, headers = {} } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  const init = {
    method,
    headers: { Accept: 'application/json', ...headers },
    credentials: 'same-origin',
    signal: controller.signal,
    cache: method === 'GET' && path.startsWith('/api/products') ? 'no-cache' : 'no-store',
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  let text;
  try {
    res = await fetch(path, init);
    text = await res.text();
  } catch (err) {
    const timedOut = err?.name === 'AbortError';
    throw new ApiError(
      timedOut ? 'The bakery took too long to answer. Please try again.' : FALLBACK[0],
      { status: 0, code: timedOut ? 'timeout' : 'network' },
    );
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) throw failure(res, data);
  if (res.status === 204) return null;
  if (data === null) {
    throw new ApiError(fallbackMessage(502), { status: res.status, code: 'bad_response' });
  }
  return data;
}
