// The conversation and settings in localStorage. What is read back is checked
// field by field: stored data is treated as untrusted as model output is.

const STORAGE_KEY = "aiodynaspark.chat.v1";
const IMAGE_PREFIX = /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+$/;
const ROLES = new Set(["user", "assistant"]);
const KINDS = new Set(["chat", "image"]);
const STATUSES = new Set(["done", "stopped", "error"]);

export const DEFAULT_SETTINGS = Object.freeze({
  mode: "chat",
  model: "",
  imageModel: "",
  system: "",
  voice: "alloy",
  size: "1024x1024",
  conversation: "", // the id of the conversation open at the last visit
});

function text(value, limit = 2_000_000) {
  return typeof value === "string" ? value.slice(0, limit) : "";
}

function image(value) {
  return typeof value === "string" && IMAGE_PREFIX.test(value) ? value : null;
}

function cleanLimit(value) {
  if (!value || typeof value !== "object" || !Number.isSafeInteger(value.count) || value.count <= 0) return null;
  return { count: value.count, of: value.of === "messages" ? "messages" : "chars" };
}

function cleanError(value) {
  if (!value || typeof value !== "object") return null;
  return {
    title: text(value.title, 200), detail: text(value.detail, 2000), kind: text(value.kind, 40),
    technical: text(value.technical, 2000), limit: cleanLimit(value.limit),
  };
}

/** A conversation's stored choices about its length, checked. */
export function cleanFit(raw) {
  return {
    truncate: raw?.truncate === true, wholeNoticed: raw?.wholeNoticed === true,
    longDismissed: raw?.longDismissed === true, fit: cleanLimit(raw?.fit),
  };
}

// Versions hold what followed an edited question, which may hold versions in turn: deeper
// than this is dropped (a hostile record cannot make the check recurse without end).
const MAX_VERSION_DEPTH = 6;
const MAX_VERSIONS = 50;

function cleanVersions(raw, role, depth) {
  if (!Array.isArray(raw.versions) || raw.versions.length < 2 || depth >= MAX_VERSION_DEPTH) return {};
  const versions = raw.versions.slice(0, MAX_VERSIONS).filter((v) => v && typeof v === "object").map((v) => {
    if (role === "user") {
      const after = Array.isArray(v.after) ? v.after.map((m) => cleanMessage(m, depth + 1)).filter(Boolean) : [];
      return { text: text(v.text), image: image(v.image), imageName: text(v.imageName, 200), after };
    }
    const status = STATUSES.has(v.status) ? v.status : "stopped";
    return {
      text: text(v.text), status, model: text(v.model, 100), image: image(v.image), whole: v.whole === true,
      error: status === "error" ? cleanError(v.error) : null,
      tokens: Number.isSafeInteger(v.tokens) && v.tokens >= 0 ? v.tokens : null,
    };
  });
  if (versions.length < 2) return {};
  const shown = Number.isSafeInteger(raw.shown) && raw.shown >= 0 && raw.shown < versions.length
    ? raw.shown : versions.length - 1;
  return { versions, shown };
}

/** A stored message, checked field by field; null when it is not one. */
export function cleanMessage(raw, depth = 0) {
  if (!raw || typeof raw !== "object" || !ROLES.has(raw.role)) return null;
  // A reload during an answer leaves it unfinished: show it as stopped.
  const status = STATUSES.has(raw.status) ? raw.status : "stopped";
  return {
    id: text(raw.id, 80) || newId(),
    role: raw.role,
    kind: KINDS.has(raw.kind) ? raw.kind : "chat",
    text: text(raw.text),
    image: image(raw.image),
    imageName: text(raw.imageName, 200),
    imageDropped: raw.imageDropped === true,
    model: text(raw.model, 100),
    prompt: text(raw.prompt, 10_000),
    status: raw.role === "user" ? "done" : status,
    error: status === "error" ? cleanError(raw.error) : null,
    tokens: Number.isSafeInteger(raw.tokens) && raw.tokens >= 0 ? raw.tokens : null,
    whole: raw.whole === true,
    changed: Number.isFinite(raw.changed) ? raw.changed : 0,
    ...cleanVersions(raw, raw.role, depth),
  };
}

/** A short unique id; crypto.randomUUID needs a secure context, which a LAN address is not. */
export function newId() {
  if (globalThis.crypto?.randomUUID) {
    try {
      return crypto.randomUUID();
    } catch {
      // Fall through to the time-based id.
    }
  }
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * Read the saved settings, and the conversation an older page kept here.
 * @returns {{messages: object[], settings: object}}
 */
export function load() {
  let raw = null;
  try {
    raw = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
  } catch {
    raw = null;
  }
  const messages = Array.isArray(raw?.messages) ? raw.messages.map((message) => cleanMessage(message)).filter(Boolean) : [];
  const settings = { ...DEFAULT_SETTINGS };
  if (raw?.settings && typeof raw.settings === "object") {
    for (const name of Object.keys(DEFAULT_SETTINGS)) {
      if (typeof raw.settings[name] === "string") settings[name] = raw.settings[name].slice(0, 20_000);
    }
  }
  if (settings.mode !== "image") settings.mode = "chat";
  return { messages, settings };
}

/** Save the settings (the conversations are kept elsewhere). */
export function saveSettings(settings) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ version: 2, settings }));
  } catch {
    // Settings are small; without storage they last as long as the page.
  }
}
