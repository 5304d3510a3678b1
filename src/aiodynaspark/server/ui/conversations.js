// Saved conversations, in the browser's IndexedDB: one record per
// conversation, its messages included. What is read back is checked field by
// field (store.js): stored data is as untrusted as model output.
// Without IndexedDB (some private windows) the page still works; nothing is
// kept across reloads then.

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

function cleanConversation(raw) {
  if (!raw || typeof raw !== "object" || typeof raw.id !== "string" || !Array.isArray(raw.messages)) return null;
  const messages = raw.messages.map(cleanMessage).filter(Boolean);
  if (messages.length === 0) return null;
  return {
    id: raw.id.slice(0, 80),
    title: typeof raw.title === "string" && raw.title.trim() ? raw.title.slice(0, 200) : titleFrom(messages),
    renamed: raw.renamed === true,
    updated: Number.isFinite(raw.updated) ? raw.updated : 0,
    messages,
    ...cleanFit(raw),
  };
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

function plain(conversation, keepImages) {
  const messages = conversation.messages.map(({ id, role, kind, text, image, imageName, imageDropped,
    model, prompt, status, error, tokens, whole }) => ({
    id, role, kind, text, imageName, model, prompt, status, error, tokens, whole,
    image: keepImages ? image : null,
    imageDropped: imageDropped || (!keepImages && Boolean(image)),
  }));
  const { id, title, renamed, updated, truncate, wholeNoticed, longDismissed, fit } = conversation;
  return { id, title, renamed, updated, messages, ...cleanFit({ truncate, wholeNoticed, longDismissed, fit }) };
}

/**
 * Save one conversation. When it does not fit in the browser's quota, it is
 * saved without its pictures (the text is kept).
 * @returns {Promise<"saved"|"without-images"|"failed">}
 */
export async function saveConversation(conversation) {
  for (const keepImages of [true, false]) {
    try {
      await request((await store("readwrite")).put(plain(conversation, keepImages)));
      return keepImages ? "saved" : "without-images";
    } catch (error) {
      if (error?.name !== "QuotaExceededError") return "failed";
    }
  }
  return "failed";
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
