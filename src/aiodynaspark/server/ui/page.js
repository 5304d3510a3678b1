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
};

/** A conversation not saved yet: it is saved with its first question. */
export function blankConversation() {
  return { id: newId(), title: "New chat", renamed: false, updated: 0, messages: [] };
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
  busy: null, // {controller}
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

/** Save the settings. */
export function persist() {
  saveSettings(state.settings);
}
