// The list of conversations: the "Conversations" navigation (a drawer on a
// phone), opening one, starting a new one (the old one stays), renaming,
// deleting with undo, and saving them to IndexedDB (conversations.js) as they
// change, a streaming answer included.

import {
  deleteConversation, loadConversations, MAX_CONVERSATIONS, saveConversation, titleFrom,
} from "./conversations.js";
import { el, iconButton, ICONS } from "./dom.js";
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
let undoTimer = 0;
const streamTimers = new Map(); // conversation id -> timer of its next save while it streams
const saving = new Map(); // conversation id -> {running: Promise, again: boolean}

// ---------------------------------------------------------------- saving

function writeLater(conversation) {
  const slot = saving.get(conversation.id);
  if (slot) {
    slot.again = true;
    return;
  }
  const entry = { again: false };
  saving.set(conversation.id, entry);
  const run = async () => {
    do {
      entry.again = false;
      if (!state.conversations.includes(conversation)) break; // deleted meanwhile
      const outcome = await saveConversation(conversation);
      if (outcome === "without-images") announce("Browser storage is full: pictures were left out of the saved conversation.");
    } while (entry.again);
    saving.delete(conversation.id);
  };
  run();
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
    for (const old of state.conversations.splice(MAX_CONVERSATIONS)) deleteConversation(old.id);
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
  deleteConversation(conversation.id);
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

function item(conversation) {
  const li = el("li", "conv");
  li.dataset.id = conversation.id;
  const openButton = el("button", "conv-open");
  openButton.type = "button";
  const title = el("span", "conv-title", conversation.title);
  title.dir = "auto";
  openButton.append(title);
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

/** Draw the list again (after a change of titles, order or the open one). */
export function renderList() {
  ui.conversationList.replaceChildren(...state.conversations.map(item));
  ui.noConversations.hidden = state.conversations.length > 0;
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
 */
export async function startChats(show) {
  onOpen = show;
  state.conversations = await loadConversations();
  if (state.legacyMessages.length && state.conversations.length === 0) {
    const moved = { ...blankConversation(), messages: state.legacyMessages };
    saveChat(moved);
    state.settings.conversation = moved.id;
  }
  state.legacyMessages = [];
  const last = state.conversations.find((conversation) => conversation.id === state.settings.conversation);
  open(last ?? blankConversation());
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
  if (!globalThis.indexedDB) showNotice("This browser keeps no conversations: they are lost on reload.");
}
