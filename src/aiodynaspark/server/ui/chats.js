// The list of conversations: the "Conversations" navigation (a drawer on a
// phone), opening one, starting a new one (the old one stays), renaming,
// deleting with undo, and saving them to IndexedDB (conversations.js) as they
// change, a streaming answer included.

import {
  deleteConversation, loadConversation, loadConversations, MAX_CONVERSATIONS, mergeMessages,
  saveConversation, titleFrom,
} from "./conversations.js";
import { el, iconButton, ICONS } from "./dom.js";
import { searchConversation } from "./search.js";
import {
  announce, blankConversation, persist, setKeepStreaming, showLongConversation, showNotice, state, ui,
} from "./page.js";

const UNDO_MS = 8000;
// While an answer streams it is saved at most this often, so a reload loses less than this.
const STREAM_SAVE_MS = 1000;
const PHONE = window.matchMedia("(max-width: 760px)");
const DRAFTS_KEY = "aiodynaspark.drafts";
// Drafts kept at most (the newest); a draft is a few lines, so this stays far from the quota.
const MAX_DRAFTS = 50;

let onOpen = () => {};
let onChange = () => {};
let undoTimer = 0;
// Tabs of this page tell each other what they saved or deleted (where the browser can).
const channel = globalThis.BroadcastChannel ? new BroadcastChannel("aiodynaspark-chat") : null;
const streamTimers = new Map(); // conversation id -> timer of its next save while it streams
const saving = new Map(); // conversation id -> {running: Promise, again: boolean}
let deleting = 0; // deletions not yet committed

// ---------------------------------------------------------------- saving

function writeLater(conversation) {
  const slot = saving.get(conversation.id);
  if (slot) {
    slot.again = true;
    return;
  }
  const entry = { again: false };
  saving.set(conversation.id, entry);
  // While anything is being written, the page says so (a reload then could lose it).
  document.body.dataset.saving = "true";
  const run = async () => {
    do {
      entry.again = false;
      if (!state.conversations.includes(conversation)) break; // deleted meanwhile
      const { outcome, stored } = await saveConversation(conversation);
      if (outcome === "without-images") announce("Browser storage is full: pictures were left out of the saved conversation.");
      if (stored) {
        adopt(conversation, stored);
        channel?.postMessage({ type: "saved", id: conversation.id });
      }
    } while (entry.again);
    saving.delete(conversation.id);
    settled();
  };
  run();
}

// While nothing is being written or deleted any more, the page stops saying so.
function settled() {
  if (saving.size === 0 && deleting === 0) delete document.body.dataset.saving;
}

// Delete a stored conversation and tell the other tabs; the page says it is writing until done.
function deleteStored(id) {
  deleting += 1;
  document.body.dataset.saving = "true";
  deleteConversation(id).then((gone) => {
    if (gone) channel?.postMessage({ type: "deleted", id });
    deleting -= 1;
    settled();
  });
}

/**
 * Save a conversation after a change; with `soon`, at most once a second
 * (a streaming answer).
 */
export function saveChat(conversation, { soon = false } = {}) {
  if (conversation.messages.length === 0) return;
  if (!conversation.renamed) conversation.title = titleFrom(conversation.messages);
  if (!state.conversations.includes(conversation)) {
    conversation.updated = Date.now();
    state.conversations.unshift(conversation);
    for (const old of state.conversations.splice(MAX_CONVERSATIONS)) {
      deleteStored(old.id);
    }
    renderList();
  }
  if (soon) {
    if (!streamTimers.has(conversation.id)) {
      streamTimers.set(conversation.id, setTimeout(() => {
        streamTimers.delete(conversation.id);
        writeLater(conversation);
      }, STREAM_SAVE_MS));
    }
    return;
  }
  conversation.updated = Date.now();
  const at = state.conversations.indexOf(conversation);
  if (at > 0) {
    state.conversations.splice(at, 1);
    state.conversations.unshift(conversation);
  }
  renderList();
  writeLater(conversation);
}

// ---------------------------------------------------------------- other tabs

/**
 * Take in what another tab saved of a conversation this tab holds: its messages merged
 * with this tab's (the objects on screen stay the same objects), and redrawn when shown.
 */
function adopt(conversation, stored) {
  const removed = { ...stored.removed, ...conversation.removed };
  conversation.removed = removed;
  const mine = new Map(conversation.messages.map((message) => [message.id, message]));
  let changed = false;
  const next = mergeMessages(conversation.messages, stored.messages, removed).map((message, at) => {
    const own = mine.get(message.id);
    if (own && own !== message) {
      Object.assign(own, message); // the other tab changed it last
      changed = true;
    }
    if (conversation.messages[at] !== (own ?? message)) changed = true;
    return own ?? message;
  });
  if (next.length !== conversation.messages.length) changed = true;
  if (stored.renamed && !conversation.renamed) {
    Object.assign(conversation, { renamed: true, title: stored.title });
    renderList();
  }
  if (!changed) return;
  conversation.messages.splice(0, conversation.messages.length, ...next);
  if (!conversation.renamed) conversation.title = titleFrom(conversation.messages);
  onChange(conversation);
}

async function heard({ data }) {
  if (!data || typeof data.id !== "string") return;
  const local = state.conversations.find((conversation) => conversation.id === data.id);
  if (data.type === "deleted") {
    if (local) forget(local);
    return;
  }
  const stored = await loadConversation(data.id);
  if (!stored) return;
  if (local) {
    adopt(local, stored);
  } else if (state.conversation.id === stored.id) {
    return; // opened here and not saved yet: this tab's first save merges it
  } else {
    state.conversations.push(stored);
    state.conversations.sort((a, b) => b.updated - a.updated);
  }
  renderList();
}

// Another tab deleted it: it goes here too (no undo: the deletion was made there).
function forget(conversation) {
  state.conversations.splice(state.conversations.indexOf(conversation), 1);
  if (state.conversation === conversation && !state.running.has(conversation.id)) open(blankConversation());
  renderList();
}

// ---------------------------------------------------------------- drafts

function readDrafts() {
  try {
    const raw = JSON.parse(localStorage.getItem(DRAFTS_KEY) || "{}");
    return raw && typeof raw === "object" ? raw : {};
  } catch {
    return {};
  }
}

/** Keep what is typed in the message box with the conversation on screen. */
export function keepDraft() {
  const drafts = readDrafts();
  const text = ui.prompt.value;
  delete drafts[state.conversation.id];
  if (text.trim()) drafts[state.conversation.id] = text.slice(0, 100_000);
  const ids = Object.keys(drafts);
  for (const id of ids.slice(0, Math.max(0, ids.length - MAX_DRAFTS))) delete drafts[id];
  try {
    localStorage.setItem(DRAFTS_KEY, JSON.stringify(drafts));
  } catch {
    // Without storage a draft lasts as long as the page.
  }
}

function draftOf(conversation) {
  const text = readDrafts()[conversation.id];
  return typeof text === "string" ? text : "";
}

// ---------------------------------------------------------------- the list

function openDrawer(open) {
  ui.sidebar.classList.toggle("open", open);
  ui.backdrop.hidden = !open || !PHONE.matches;
  ui.drawerToggle.setAttribute("aria-expanded", String(open));
  // On a phone the drawer covers the page: what is behind it takes no focus or typing.
  ui.app.inert = open && PHONE.matches;
  if (open) (ui.sidebar.querySelector("[aria-current]") ?? ui.sidebar.querySelector("button"))?.focus();
}

/** Close the phone drawer (Esc), giving focus back to its button; false when it was closed. */
export function closeDrawer() {
  if (!ui.sidebar.classList.contains("open")) return false;
  openDrawer(false);
  if (PHONE.matches) ui.drawerToggle.focus();
  return true;
}

function renameInPlace(conversation, item) {
  const input = el("input", "rename-box");
  input.value = conversation.title;
  input.dir = "auto";
  input.maxLength = 200;
  input.setAttribute("aria-label", "New name of the conversation");
  let done = false;
  const finish = (keep) => {
    if (done) return;
    done = true;
    const title = input.value.trim();
    if (keep && title && title !== conversation.title) {
      conversation.title = title;
      conversation.renamed = true;
      writeLater(conversation);
      announce(`Renamed to ${title}.`);
    }
    renderList();
    ui.conversationList.querySelector(`[data-id="${CSS.escape(conversation.id)}"] .conv-open`)?.focus();
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") finish(true);
    if (event.key === "Escape") {
      event.stopPropagation();
      finish(false);
    }
  });
  input.addEventListener("blur", () => finish(true));
  item.replaceChildren(input);
  input.focus();
  input.select();
}

function remove(conversation) {
  const at = state.conversations.indexOf(conversation);
  if (at < 0) return;
  state.conversations.splice(at, 1);
  deleteStored(conversation.id);
  const wasOpen = state.conversation === conversation;
  if (wasOpen) open(blankConversation());
  renderList();
  ui.undoText.textContent = `Deleted “${conversation.title}”.`;
  ui.undo.hidden = false;
  clearTimeout(undoTimer);
  const restore = () => {
    ui.undo.hidden = true;
    ui.undoButton.onclick = null;
    state.conversations.splice(Math.min(at, state.conversations.length), 0, conversation);
    writeLater(conversation);
    if (wasOpen) open(conversation);
    renderList();
    announce(`Restored “${conversation.title}”.`);
  };
  ui.undoButton.onclick = restore;
  undoTimer = setTimeout(() => {
    ui.undo.hidden = true;
    ui.undoButton.onclick = null;
  }, UNDO_MS);
  ui.undoButton.focus();
}

function item(conversation, snippet) {
  const li = el("li", "conv");
  li.dataset.id = conversation.id;
  const openButton = el("button", "conv-open");
  openButton.type = "button";
  const title = el("span", "conv-title", conversation.title);
  title.dir = "auto";
  openButton.append(title);
  if (snippet) {
    const words = el("span", "conv-snippet hint", snippet);
    words.dir = "auto";
    openButton.append(words);
  }
  if (conversation === state.conversation) openButton.setAttribute("aria-current", "page");
  openButton.addEventListener("click", () => {
    if (state.conversation !== conversation) open(conversation);
    if (PHONE.matches) openDrawer(false);
  });
  const rename = iconButton("icon-button conv-action", `Rename “${conversation.title}”`, ICONS.rename);
  rename.addEventListener("click", () => renameInPlace(conversation, li));
  const del = iconButton("icon-button conv-action", `Delete “${conversation.title}”`, ICONS.trash);
  del.addEventListener("click", () => remove(conversation));
  li.append(openButton, rename, del);
  return li;
}

/** Draw the list again (after a change of titles, order or the open one, or a search). */
export function renderList() {
  const query = ui.search.value;
  const items = [];
  for (const conversation of state.conversations) {
    const found = searchConversation(conversation, query);
    if (found) items.push(item(conversation, found.snippet));
  }
  ui.conversationList.replaceChildren(...items);
  ui.noConversations.hidden = state.conversations.length > 0;
  ui.noMatches.hidden = items.length > 0 || state.conversations.length === 0;
}

/**
 * Add conversations read from an export file: one already here is merged with it (as a
 * second tab's copy would be), a new one is added.
 * @param {object[]} conversations checked records
 * @returns {Promise<number>} how many were taken in
 */
export async function addConversations(conversations) {
  for (const incoming of conversations) {
    const local = state.conversations.find((conversation) => conversation.id === incoming.id);
    if (local) {
      adopt(local, incoming);
      writeLater(local);
    } else {
      state.conversations.push(incoming);
      writeLater(incoming);
    }
  }
  state.conversations.sort((a, b) => b.updated - a.updated);
  renderList();
  return conversations.length;
}

// ---------------------------------------------------------------- opening

function open(conversation) {
  if (state.conversation && state.conversation !== conversation) keepDraft();
  state.conversation = conversation;
  state.messages = conversation.messages;
  state.settings.conversation = conversation.id;
  persist();
  ui.prompt.value = draftOf(conversation);
  onOpen(conversation);
  showLongConversation(conversation);
  renderList();
}

/** Start a new conversation; the one shown stays in the list. */
export function newChat() {
  open(blankConversation());
  announce("New chat started.");
}

/**
 * Read the saved conversations and open the one open last time.
 * @param {(conversation: object) => void} show called each time one is opened
 * @param {(conversation: object) => void} changed called when another tab changed one
 */
export async function startChats(show, changed) {
  onOpen = show;
  onChange = changed;
  channel?.addEventListener("message", heard);
  state.conversations = await loadConversations();
  if (state.legacyMessages.length && state.conversations.length === 0) {
    const moved = { ...blankConversation(), messages: state.legacyMessages };
    saveChat(moved);
    state.settings.conversation = moved.id;
  }
  state.legacyMessages = [];
  const last = state.conversations.find((conversation) => conversation.id === state.settings.conversation);
  // A new chat not sent yet keeps its id across a reload, so its draft comes back with it.
  const wanted = typeof state.settings.conversation === "string" ? state.settings.conversation.slice(0, 80) : "";
  open(last ?? { ...blankConversation(), ...(wanted ? { id: wanted } : {}) });
  ui.drawerToggle.addEventListener("click", () => openDrawer(!ui.sidebar.classList.contains("open")));
  ui.backdrop.addEventListener("click", () => openDrawer(false));
  PHONE.addEventListener("change", () => openDrawer(false));
  setKeepStreaming((conversation) => {
    if (state.conversations.includes(conversation)) writeLater(conversation);
  });
  let draftTimer = 0;
  ui.prompt.addEventListener("input", () => {
    clearTimeout(draftTimer);
    draftTimer = setTimeout(keepDraft, 300);
  });
  window.addEventListener("pagehide", keepDraft);
  ui.search.addEventListener("input", renderList);
  ui.search.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && ui.search.value) {
      event.stopPropagation();
      ui.search.value = "";
      renderList();
    }
  });
  if (!globalThis.indexedDB) showNotice("This browser keeps no conversations: they are lost on reload.");
}
