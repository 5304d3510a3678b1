// Saved conversations, in the browser's IndexedDB: one record per
// conversation, its messages included. What is read back is checked field by
// field (store.js): stored data is as untrusted as model output.
// Without IndexedDB (some private windows) the page still works; nothing is
// kept across reloads then.
//
// Several tabs may hold the same conversation. A save never overwrites what
// another tab added: it reads the stored record and merges in the same
// transaction (mergeMessages), message by message, the most recently changed
// copy of each winning, and the messages one tab took away (an edited
// question's old tail) staying away unless changed since.

import { cleanFit, cleanMessage } from "./store.js";

const DB_NAME = "aiodynaspark-chat";
const STORE = "conversations";
// Enough for months of use; the oldest beyond it are dropped when a new one is saved.
export const MAX_CONVERSATIONS = 500;
const TITLE_CHARS = 60;

let opening = null;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function database() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      if (!globalThis.indexedDB) {
        reject(new Error("IndexedDB is not available"));
        return;
      }
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id" });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  return opening;
}

async function store(mode) {
  const db = await database();
  return db.transaction(STORE, mode).objectStore(STORE);
}

/** A title from the first question: its first line, shortened. */
export function titleFrom(messages) {
  const first = messages.find((message) => message.role === "user")?.text.trim() ?? "";
  const line = first.split("\n")[0].trim();
  if (!line) return "New chat";
  return line.length > TITLE_CHARS ? `${line.slice(0, TITLE_CHARS - 1).trimEnd()}…` : line;
}

const MAX_REMOVED = 500;

function cleanRemoved(raw) {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return {};
  const removed = {};
  for (const [id, when] of Object.entries(raw).slice(-MAX_REMOVED)) {
    if (Number.isFinite(when)) removed[id.slice(0, 80)] = when;
  }
  return removed;
}

/**
 * Merge two copies of a conversation's messages (this tab's and the stored one).
 * Each message is kept once, the copy changed last winning; a message either side
 * removed stays removed unless it changed after; messages only one side has keep
 * their place after the message before them.
 * @param {object[]} mine
 * @param {object[]} theirs
 * @param {Record<string, number>} removed message id -> when it was removed
 * @returns {object[]}
 */
export function mergeMessages(mine, theirs, removed) {
  const alive = (message) => !(message.id in removed) || (message.changed || 0) > removed[message.id];
  const ours = new Set(mine.map((message) => message.id));
  const out = theirs.filter(alive);
  const index = new Map(out.map((message, at) => [message.id, at]));
  let previous = -1;
  for (const message of mine) {
    if (!alive(message)) continue;
    const at = index.get(message.id);
    if (at !== undefined) {
      if ((message.changed || 0) >= (out[at].changed || 0)) out[at] = message;
      previous = at;
      continue;
    }
    // After the message before it, and after what only the other copy added there.
    let place = previous + 1;
    while (place < out.length && !ours.has(out[place].id)) place += 1;
    out.splice(place, 0, message);
    for (let n = place; n < out.length; n++) index.set(out[n].id, n);
    previous = place;
  }
  return out;
}

function cleanConversation(raw) {
  if (!raw || typeof raw !== "object" || typeof raw.id !== "string" || !Array.isArray(raw.messages)) return null;
  const messages = raw.messages.map((message) => cleanMessage(message)).filter(Boolean);
  if (messages.length === 0) return null;
  return {
    id: raw.id.slice(0, 80),
    title: typeof raw.title === "string" && raw.title.trim() ? raw.title.slice(0, 200) : titleFrom(messages),
    renamed: raw.renamed === true,
    updated: Number.isFinite(raw.updated) ? raw.updated : 0,
    messages,
    removed: cleanRemoved(raw.removed),
    ...cleanFit(raw),
  };
}

/** One saved conversation, checked; null when it is not there (or unreadable). */
export async function loadConversation(id) {
  try {
    return cleanConversation(await request((await store("readonly")).get(id)));
  } catch {
    return null;
  }
}

/**
 * Every saved conversation, the most recent first.
 * @returns {Promise<object[]>} empty when storage is unavailable
 */
export async function loadConversations() {
  try {
    const all = await request((await store("readonly")).getAll());
    return all.map(cleanConversation).filter(Boolean).sort((a, b) => b.updated - a.updated);
  } catch {
    return [];
  }
}

/** A message as it is stored (its versions included), pictures kept or left out. */
export function plainMessage(message, keepImages = true) {
  const { id, role, kind, text, image, imageName, imageDropped, model, prompt, status, error, tokens, whole,
    changed } = message;
  return {
    id, role, kind, text, imageName, model, prompt, status, error, tokens, whole, changed,
    image: keepImages ? image : null,
    imageDropped: imageDropped || (!keepImages && Boolean(image)),
    ...plainVersions(message, keepImages),
  };
}

function plainVersions(message, keepImages) {
  if (!Array.isArray(message.versions) || message.versions.length < 2) return {};
  // The version on screen is the message's own fields: stored as they are now.
  const versions = message.versions.map((version, at) => {
    const current = at === message.shown ? snapshot(message) : version;
    return {
      ...current,
      image: keepImages ? current.image ?? null : null,
      after: current.after?.map((next) => plainMessage(next, keepImages)),
    };
  });
  return { versions, shown: message.shown };
}

/** What one version of a message holds (an edited question also holds what followed it). */
export function snapshot(message, after) {
  if (message.role === "user") {
    return { text: message.text, image: message.image, imageName: message.imageName, after: after ?? message.versions?.[message.shown]?.after ?? [] };
  }
  const { text, status, tokens, model, error, image, whole } = message;
  return { text, status, tokens, model, error, image, whole };
}

/** A conversation as it is stored and exported. */
export function plainConversation(conversation) {
  return plain(conversation, true);
}

/** Conversations read from an export file, checked as stored ones are. */
export function cleanImported(records) {
  return records.slice(0, MAX_CONVERSATIONS).map(cleanConversation).filter(Boolean);
}

function plain(conversation, keepImages) {
  const messages = conversation.messages.map((message) => plainMessage(message, keepImages));
  const { id, title, renamed, updated, truncate, wholeNoticed, longDismissed, fit } = conversation;
  return {
    id, title, renamed, updated, messages, removed: { ...conversation.removed },
    ...cleanFit({ truncate, wholeNoticed, longDismissed, fit }),
  };
}

// Read what is stored, merge this tab's copy into it and write the result, in one transaction.
async function mergeAndPut(record) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, "readwrite");
    const objects = transaction.objectStore(STORE);
    let merged = record;
    const read = objects.get(record.id);
    read.onsuccess = () => {
      const stored = read.result ? cleanConversation(read.result) : null;
      if (stored) {
        const removed = { ...stored.removed, ...record.removed };
        merged = {
          ...record,
          removed,
          renamed: record.renamed || stored.renamed,
          title: record.renamed || !stored.renamed ? record.title : stored.title,
          updated: Math.max(record.updated, stored.updated),
          messages: mergeMessages(record.messages, stored.messages.map((m) => plainMessage(m)), removed),
        };
      }
      objects.put(merged);
    };
    transaction.oncomplete = () => resolve(merged);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

/**
 * Save one conversation, merged with what another tab saved of it. When it does not fit
 * in the browser's quota, it is saved without its pictures (the text is kept).
 * @returns {Promise<{outcome: "saved"|"without-images"|"failed", stored: object|null}>}
 *   `stored` is what is now saved: this tab's copy and the other tabs' additions
 */
export async function saveConversation(conversation) {
  for (const keepImages of [true, false]) {
    try {
      const stored = await mergeAndPut(plain(conversation, keepImages));
      return { outcome: keepImages ? "saved" : "without-images", stored: cleanConversation(stored) };
    } catch (error) {
      if (error?.name !== "QuotaExceededError") return { outcome: "failed", stored: null };
    }
  }
  return { outcome: "failed", stored: null };
}

/** Delete one conversation; true when it is gone. */
export async function deleteConversation(id) {
  try {
    await request((await store("readwrite")).delete(id));
    return true;
  } catch {
    return false;
  }
}
