// Talking to the gateway's own /v1 routes: requests, the API key, errors and
// server-sent events. Every URL here is a same-origin path: the page never
// contacts another origin.

const KEY_STORAGE = "aiodynaspark.apiKey";
// A wrong key is asked again, but not forever within one request.
const MAX_KEY_PROMPTS = 3;

/** An error answer of the gateway, or a failure to reach it (status 0). */
export class ApiError extends Error {
  /**
   * @param {number|null} status HTTP status; 0 when unreachable; null inside a stream
   * @param {string} message the gateway's message
   * @param {{type?: string, code?: string|number, retryAfter?: number|null}} extra
   */
  constructor(status, message, { type = "", code = "", retryAfter = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.type = String(type ?? "");
    this.code = String(code ?? "");
    this.retryAfter = retryAfter;
  }
}

// ---------------------------------------------------------------- API key

let askForKey = async () => null;
let pendingAsk = null;

/**
 * Install the function that asks the user for an API key.
 * @param {(reason: "needed"|"refused") => Promise<string|null>} ask
 */
export function setKeyPrompt(ask) {
  askForKey = ask;
}

export function storedKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return "";
  }
}

export function forgetKey() {
  try {
    sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    // Storage may be disabled; nothing was kept then.
  }
}

function keepKey(key) {
  try {
    sessionStorage.setItem(KEY_STORAGE, key);
  } catch {
    // Without session storage the key lives only as long as this request.
  }
}

// Several requests may meet a 401 at once (model list and a chat): one dialog serves them all.
function promptOnce(reason) {
  if (!pendingAsk) {
    pendingAsk = Promise.resolve(askForKey(reason)).finally(() => {
      pendingAsk = null;
    });
  }
  return pendingAsk;
}

// ---------------------------------------------------------------- errors

/**
 * Read a Retry-After header: seconds, or an HTTP date.
 * @param {string|null} value
 * @returns {number|null} whole seconds to wait
 */
export function parseRetryAfter(value) {
  if (!value) return null;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.ceil(Number(value));
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function messageOf(body, fallback) {
  if (body && typeof body === "object") {
    const error = body.error;
    if (error && typeof error === "object" && typeof error.message === "string") return error;
    if (typeof error === "string") return { message: error };
    if (typeof body.detail === "string") return { message: body.detail };
    if (typeof body.message === "string") return { message: body.message };
  }
  return { message: fallback };
}

async function errorFromResponse(response) {
  let text = "";
  try {
    text = await response.text();
  } catch {
    // The body is lost; the status still says what happened.
  }
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  const short = text && !/^\s*</.test(text) ? text.trim().slice(0, 300) : "";
  const error = messageOf(body, short || response.statusText || `HTTP ${response.status}`);
  return new ApiError(response.status, error.message, {
    type: error.type,
    code: error.code,
    retryAfter: parseRetryAfter(response.headers.get("Retry-After")),
  });
}

/** Build the error carried by a `data: {"error": {...}}` event in a stream. */
export function streamError(error) {
  const { message = "The answer stopped with an error.", type = "", code = "" } =
    typeof error === "object" && error ? error : { message: String(error) };
  const match = /(\d+(?:\.\d+)?)\s*(?:s\b|sec|second)/i.exec(message);
  return new ApiError(null, message, { type, code, retryAfter: match ? Math.ceil(Number(match[1])) : null });
}

function kindOf(error) {
  const byStatus = {
    400: "bad_request", 401: "auth", 403: "auth", 404: "not_found", 413: "too_large",
    422: "bad_request", 429: "rate_limit", 502: "upstream", 503: "unavailable", 504: "timeout",
  };
  if (error.status === 0) return "unreachable";
  // The gateway's own bound on a whole conversation: its text or its number of messages.
  if (error.code === "limit_exceeded" && /characters of text|messages/.test(error.message)) return "too_long";
  if (error.status && byStatus[error.status]) return byStatus[error.status];
  // An error event inside a stream has no status: its code says what happened.
  const words = `${error.type} ${error.code}`.toLowerCase();
  if (/rate.?limit/.test(words)) return "rate_limit";
  if (/timeout/.test(words)) return "timeout";
  if (/unavailable|unreachable/.test(words)) return "unavailable";
  if (/bad_response|stream_cut/.test(words)) return "cut";
  if (/auth/.test(words)) return "upstream";
  if (/invalid|refused/.test(words)) return "bad_request";
  return "other";
}

/**
 * A wait in words a person reads at a glance: "12 seconds", "about 3 minutes", "about 1 hour".
 * @param {number} n seconds
 */
export function waitInWords(n) {
  const plural = (count, unit) => `${count} ${unit}${count === 1 ? "" : "s"}`;
  if (n < 90) return plural(n, "second");
  if (n < 3570) return `about ${plural(Math.round(n / 60), "minute")}`;
  if (n < 36 * 3600) return `about ${plural(Math.round(n / 3600), "hour")}`;
  return `about ${plural(Math.round(n / 86400), "day")}`;
}

// What each kind of failure means to a person, and what to do about it.
const PLAIN = {
  unreachable: ["Cannot reach the gateway.", "Check that aiodynaspark serve is still running, then retry."],
  rate_limit: ["Too many requests.", "Dynaspark asks to slow down. Wait a little, then retry."],
  unavailable: ["Dynaspark is not answering.", "It may be waking up, which can take a minute. Retry shortly."],
  upstream: ["Dynaspark could not answer.", "Retry; if it keeps failing, try another model."],
  timeout: ["Dynaspark took too long.", "It may be busy. Retry shortly."],
  auth: ["API key needed.", "This gateway needs a valid API key."],
  too_large: ["That message is too large.", "Send a shorter message or a smaller picture."],
  too_long: ["This conversation is too long for the gateway.",
    "Start a new chat, or send only the newest turns of this one (the oldest are left out)."],
  bad_request: ["The request was refused.", ""],
  not_found: ["Not found.", ""],
  cut: ["The answer was cut off.", "Part of it may be missing. Retry to get it whole."],
  other: ["Something went wrong.", "Retry; if it keeps failing, reload the page."],
};

/**
 * Turn any failure into plain words a person can act on, and the technical
 * detail (status, type, the gateway's message) for a folded-away box.
 * @param {unknown} error
 * @returns {{title: string, detail: string, kind: string, technical: string, retryAfter: number|null,
 *   limit: {count: number, of: "chars"|"messages"}|null}}
 */
export function describeError(error) {
  if (!(error instanceof ApiError)) {
    const [title, detail] = PLAIN.other;
    return { kind: "other", title, detail, technical: String(error?.message || error), retryAfter: null };
  }
  const kind = kindOf(error);
  let [title, detail] = PLAIN[kind];
  // A refusal's reason is the gateway's own sentence ("temperature must be 0-3"): the person needs it.
  if (!detail) detail = error.message;
  if (kind === "rate_limit" && error.retryAfter != null) {
    detail = `Dynaspark asks to wait ${waitInWords(error.retryAfter)} before the next request.`;
  }
  // The bound, so the page can send only as many of the newest turns as fit.
  const bound = kind === "too_long" ? /at most ([\d,]+)/.exec(error.message) : null;
  const parts = [
    error.status ? `HTTP ${error.status}` : "",
    [error.type, error.code].filter(Boolean).join(" / "),
    error.message,
  ].filter(Boolean);
  const limit = bound ? { count: Number(bound[1].replace(/,/g, "")), of: /messages/.test(error.message) ? "messages" : "chars" } : null;
  return { kind, title, detail, technical: parts.join(" · "), retryAfter: error.retryAfter, limit };
}

// ---------------------------------------------------------------- requests

/**
 * Call a gateway route, asking for the API key when it answers 401.
 * @param {string} path a same-origin path such as "/v1/models"
 * @param {{method?: string, body?: unknown, signal?: AbortSignal, extraHeaders?: object}} options
 * @returns {Promise<Response>} a 2xx response
 * @throws {ApiError|DOMException} an error answer, or AbortError when stopped
 */
export async function apiFetch(path, { method = "GET", body, signal, extraHeaders = {} } = {}) {
  for (let prompts = 0; ; prompts++) {
    const headers = { Accept: "application/json, text/event-stream, audio/mpeg", ...extraHeaders };
    const key = storedKey();
    if (key) headers.Authorization = `Bearer ${key}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        cache: "no-store",
        credentials: "same-origin",
        referrerPolicy: "no-referrer",
      });
    } catch (error) {
      if (error?.name === "AbortError") throw error;
      throw new ApiError(0, String(error?.message || error));
    }
    if (response.status === 401 && prompts < MAX_KEY_PROMPTS) {
      const entered = await promptOnce(key ? "refused" : "needed");
      if (entered) {
        keepKey(entered);
        continue;
      }
      if (storedKey() && storedKey() !== key) continue; // another request got a key meanwhile
    }
    if (!response.ok) throw await errorFromResponse(response);
    return response;
  }
}

/**
 * Yield the data of each server-sent event of a response body.
 * EventSource cannot POST, so the stream is parsed here (WHATWG HTML, 9.2.6).
 * @param {Response} response
 * @returns {AsyncGenerator<string>}
 */
export async function* serverSentEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let data = [];
  let done = false;
  const takeLine = (final) => {
    const end = buffer.search(/[\r\n]/);
    if (end < 0) {
      if (!final || !buffer) return null;
      const line = buffer;
      buffer = "";
      return line;
    }
    // A '\r' at the end of a chunk may be the first half of '\r\n'.
    if (buffer[end] === "\r" && end === buffer.length - 1 && !final) return null;
    const width = buffer[end] === "\r" && buffer[end + 1] === "\n" ? 2 : 1;
    const line = buffer.slice(0, end);
    buffer = buffer.slice(end + width);
    return line;
  };
  try {
    while (!done) {
      const chunk = await reader.read();
      done = chunk.done;
      buffer += done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
      for (let line = takeLine(done); line !== null; line = takeLine(done)) {
        if (line === "") {
          if (data.length) yield data.join("\n");
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        if (field === "data") data.push(colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, ""));
      }
    }
    if (data.length) yield data.join("\n");
  } finally {
    if (!done) reader.cancel().catch(() => {});
  }
}

/**
 * Stream a chat completion, calling `onPiece` with each piece of text.
 *
 * The usage of the answer is asked for (`stream_options.include_usage`) and handed to
 * `onUsage` from the stream's last chunk. When the gateway says the conversation was too
 * long to stream (`x-aiodynaspark-stream: whole`: it went by the web form and the answer
 * arrives in one piece), `onWhole` gets the options it had to drop.
 * @param {object} payload the OpenAI request body (stream is set here)
 * @param {AbortSignal} signal
 * @param {(piece: string) => void} onPiece
 * @param {{truncate?: boolean, onUsage?: (usage: object) => void,
 *          onWhole?: (dropped: string[]) => void}} [options] with `truncate`, the gateway
 *   may drop the oldest turns so the rest fits and streams (`x-aiodynaspark-truncation: auto`)
 * @returns {Promise<void>} resolves at `data: [DONE]`
 * @throws {ApiError} an error answer or event, or a stream cut before its end
 */
export async function streamChat(payload, signal, onPiece, { truncate = false, onUsage, onWhole } = {}) {
  const response = await apiFetch("/v1/chat/completions", {
    method: "POST",
    body: { ...payload, stream: true, stream_options: { include_usage: true } },
    signal,
    extraHeaders: truncate ? { "x-aiodynaspark-truncation": "auto" } : {},
  });
  if ((response.headers.get("x-aiodynaspark-stream") || "").toLowerCase() === "whole") {
    const dropped = (response.headers.get("x-aiodynaspark-dropped-params") || "")
      .split(",").map((name) => name.trim()).filter(Boolean);
    onWhole?.(dropped);
  }
  if (!(response.headers.get("Content-Type") || "").includes("text/event-stream")) {
    // A gateway may answer a stream request whole; take the message then.
    const body = await response.json();
    const text = body?.choices?.[0]?.message?.content;
    if (typeof text === "string") onPiece(text);
    if (body?.usage) onUsage?.(body.usage);
    return;
  }
  for await (const data of serverSentEvents(response)) {
    if (data.trim() === "[DONE]") return;
    let event;
    try {
      event = JSON.parse(data);
    } catch {
      continue; // a keep-alive or an unknown payload
    }
    if (event?.error) throw streamError(event.error);
    if (event?.usage && typeof event.usage === "object") onUsage?.(event.usage);
    const choice = event?.choices?.[0];
    const piece = choice?.delta?.content ?? choice?.message?.content;
    if (typeof piece === "string" && piece) onPiece(piece);
  }
  if (signal.aborted) throw new DOMException("Stopped", "AbortError");
  throw new ApiError(null, "The stream ended before its end mark; the answer may be incomplete.", { code: "stream_cut" });
}
