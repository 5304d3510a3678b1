// The chat page's shared pieces: its elements, its state (restored from
// storage) and the two ways it speaks to the user (the status line read by
// screen readers, and a notice that fades). Every page module imports these.

import { $ } from "./dom.js";
import { load, newId, saveSettings } from "./store.js";

// Image model ids /api/generate_image accepts; /v1/models lists chat models only, so the page knows these.
export const KNOWN_IMAGE_MODELS = ["flux", "turbo", "gptimage"];
const NOTICE_MS = 8000;

export const ui = {
  composer: $("composer"), prompt: $("prompt"), send: $("send"), stop: $("stop"),
  attach: $("attach"), fileInput: $("file-input"), attachment: $("attachment"),
  thumb: $("attachment-thumb"), attachmentName: $("attachment-name"), attachmentSize: $("attachment-size"),
  removeImage: $("remove-image"), model: $("model"), newChat: $("new-chat"),
  settingsToggle: $("settings-toggle"), settings: $("settings"), system: $("system"),
  voice: $("voice"), size: $("size"), keyField: $("key-field"), forgetKey: $("forget-key"),
  status: $("status"), notice: $("notice"), sidebar: $("sidebar"), drawerToggle: $("drawer-toggle"),
  conversationList: $("conversation-list"), noConversations: $("no-conversations"), undo: $("undo"),
  undoText: $("undo-text"), undoButton: $("undo-button"), backdrop: $("backdrop"),
  longNotice: $("long-notice"), longText: $("long-text"), longKeep: $("long-keep"), longDismiss: $("long-dismiss"),
  app: $("app"), skip: $("skip-link"), search: $("search"), noMatches: $("no-matches"),
  exportAll: $("export-all"), exportOne: $("export-one"), importButton: $("import"), importFile: $("import-file"),
};

/** A conversation not saved yet: it is saved with its first question. */
export function blankConversation() {
  return { id: newId(), title: "New chat", renamed: false, updated: 0, messages: [], removed: {} };
}

const saved = load();
const first = blankConversation();
export const state = {
  conversation: first, // the one shown
  messages: first.messages, // the shown conversation's messages
  conversations: [], // the saved ones, the most recent first
  legacyMessages: saved.messages, // a conversation an older page kept in localStorage
  settings: saved.settings,
  models: { chat: [], image: KNOWN_IMAGE_MODELS },
  attachment: null, // {dataUrl, name, type, size}
  reading: false, // an image is being read
  busy: null, // {controller} of the conversation on screen
  running: new Map(), // conversation id -> {controller}: answers being written, on screen or not
  audioUrls: [], // blob: URLs of spoken answers, revoked on "New chat"
};
let noticeTimer = 0;

export function announce(text) {
  ui.status.textContent = text;
}

export function showNotice(text) {
  ui.notice.textContent = text;
  ui.notice.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => {
    ui.notice.hidden = true;
  }, NOTICE_MS);
}

let onKeepStreaming = () => {};

/** What "Keep streaming" does (chats.js saves the choice with the conversation). */
export function setKeepStreaming(handler) {
  onKeepStreaming = handler;
}

/**
 * Say, once per conversation, that its answers now arrive whole (the gateway sends a long
 * conversation by the web form), and offer to send only the newest turns so it streams.
 * @param {object} conversation
 * @param {string[]} dropped request options the gateway had to leave out
 */
export function showLongConversation(conversation, dropped = []) {
  if (state.conversation !== conversation) return;
  const hidden = !conversation.wholeNoticed || conversation.truncate || conversation.longDismissed;
  ui.longNotice.hidden = hidden;
  if (hidden) return;
  const left = dropped.length ? ` Options it could not keep: ${dropped.join(", ")}.` : "";
  ui.longText.textContent = `Long conversation: answers now arrive whole, not word by word.${left}`;
  ui.longKeep.onclick = () => {
    conversation.truncate = true;
    ui.longNotice.hidden = true;
    onKeepStreaming(conversation);
    announce("Only the newest turns will be sent: answers stream again.");
    ui.prompt.focus();
  };
  ui.longDismiss.onclick = () => {
    conversation.longDismissed = true;
    ui.longNotice.hidden = true;
    onKeepStreaming(conversation);
    ui.prompt.focus();
  };
}

/** Save the settings. */
export function persist() {
  saveSettings(state.settings);
}
