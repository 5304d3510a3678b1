// The chat page: sends the composer's text and ties the pieces together: the
// conversations (chats.js), the answers (answers.js), the header (header.js),
// the image attachment (attachments.js), read-aloud and copy
// (answer-actions.js), the full-size picture (picture-dialog.js). Requests go
// through api.js; rendering through view.js (model text never becomes HTML);
// shared elements and state are page.js.

import { copyAnswer, copyCode, copyText, playAnswer } from "./answer-actions.js";
import {
  ask, continueAnswer, isBusy, regenerate, resend, retry, sendNewestThatFit, showBusy, showVersion, stopAnswer,
  useView,
} from "./answers.js";
import { setKeyPrompt } from "./api.js";
import { setAttachment, wireAttachments } from "./attachments.js";
import { closeDrawer, keepDraft, newChat, startChats } from "./chats.js";
import { $ } from "./dom.js";
import { applyMode, closeSettings, loadModels, wireHeader } from "./header.js";
import { announce, showNotice, state, ui } from "./page.js";
import { ConversationView } from "./view.js";

const view = new ConversationView(
  { list: $("messages"), scroller: $("conversation"), empty: $("empty"), jump: $("jump") },
  {
    retry: (message) => retry(message),
    regenerate,
    showVersion,
    continue: continueAnswer,
    resend,
    isBusy,
    play: playAnswer,
    copy: copyAnswer,
    copyCode,
    fit: sendNewestThatFit,
    newChat: () => newChat(),
    // Loaded when first needed: most visits never open a picture or export.
    viewPicture: (message) => import("./picture-dialog.js").then(({ showPicture }) => showPicture(message)),
  },
);
useView(view);

function send() {
  if (state.busy) return;
  const text = ui.prompt.value.trim();
  const mode = state.settings.mode;
  if (!text) {
    showNotice(mode === "image" ? "Describe the picture to draw first." : "Type a message first.");
    ui.prompt.focus();
    return;
  }
  const attached = mode === "chat" ? state.attachment : null;
  ui.prompt.value = "";
  keepDraft();
  if (attached) setAttachment(null);
  ui.notice.hidden = true;
  ask({
    kind: mode, text, image: attached?.dataUrl ?? null, imageName: attached?.name ?? "",
    model: mode === "image" ? state.settings.imageModel : state.settings.model,
  });
}

// Opening another conversation (or a new one) leaves an answer being written going: it is
// saved as it streams and is there, where it has got to, when its conversation is opened again.
function showConversation(conversation) {
  setAttachment(null);
  for (const url of state.audioUrls.splice(0)) URL.revokeObjectURL(url);
  showBusy();
  view.show(conversation.messages);
  ui.prompt.focus();
}

function lastAnswer() {
  return [...state.messages].reverse().find((message) => message.role === "assistant" && message.text);
}

// Shortcuts as ChatGPT has them: Ctrl+Shift+O a new chat, Shift+Esc the message box,
// Ctrl+Shift+C copy the last answer, Ctrl+Shift+; copy the last code block.
function shortcut(event) {
  const ctrl = (event.ctrlKey || event.metaKey) && event.shiftKey && !event.altKey;
  const key = event.key.toLowerCase();
  if (ctrl && key === "o") {
    newChat();
    return true;
  }
  if (ctrl && key === "c" && !String(getSelection())) {
    const answer = lastAnswer();
    if (answer) copyAnswer(answer);
    return Boolean(answer);
  }
  if (ctrl && (key === ";" || event.code === "Semicolon")) {
    const blocks = document.querySelectorAll("#messages .code-block pre");
    const code = blocks[blocks.length - 1]?.textContent;
    if (code) copyText(code).then((ok) => announce(ok ? "Code copied." : "Could not copy the code."));
    return Boolean(code);
  }
  if ((event.ctrlKey || event.metaKey) && !event.shiftKey && key === "k") {
    // Search: on a phone the list is in the drawer, opened first.
    if (getComputedStyle(ui.search).visibility === "hidden") ui.drawerToggle.click();
    ui.search.focus();
    return true;
  }
  if (event.key === "Escape" && event.shiftKey) {
    ui.prompt.focus();
    return true;
  }
  return false;
}

function wireComposer() {
  ui.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  ui.prompt.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !event.altKey) {
      event.preventDefault();
      send();
    }
  });
  document.addEventListener("keydown", (event) => {
    if (document.querySelector("dialog[open]")) return;
    if (shortcut(event)) {
      event.preventDefault();
      return;
    }
    if (event.key !== "Escape") return;
    // Esc closes what is open first (the phone drawer, Settings), then stops an answer.
    if (closeDrawer() || closeSettings()) event.preventDefault();
    else if (isBusy()) stopAnswer();
  });
  ui.stop.addEventListener("click", () => {
    stopAnswer();
    ui.prompt.focus();
  });
}

async function start() {
  let ask = null;
  setKeyPrompt(async (why) => {
    // The key dialog's code comes the first time a key is asked for.
    if (!ask) {
      const { keyPrompt } = await import("./keydialog.js");
      ask ??= keyPrompt({
        dialog: $("key-dialog"), form: $("key-form"), input: $("key-input"),
        reason: $("key-reason"), cancel: $("key-cancel"),
      });
    }
    const key = await ask(why);
    // A key given later (the first prompt was cancelled) also unlocks the model list.
    if (key && state.models.chat.length === 0) setTimeout(loadModels, 0);
    return key;
  });
  wireComposer();
  wireAttachments();
  const transfer = () => import("./transfer.js");
  ui.exportAll.addEventListener("click", () => transfer().then((module) => module.exportAll()));
  ui.exportOne.addEventListener("click", () => transfer().then((module) => module.exportOne()));
  ui.importButton.addEventListener("click", () => ui.importFile.click());
  ui.importFile.addEventListener("change", () => {
    const [file] = ui.importFile.files;
    if (!file) return;
    transfer().then((module) => module.importFile(file)).finally(() => {
      ui.importFile.value = "";
    });
  });
  wireHeader(newChat);
  applyMode();
  loadModels();
  await startChats(showConversation, (conversation) => {
    // Another tab added to it: show what it added (an answer being written here keeps going).
    if (conversation === state.conversation) view.show(conversation.messages);
  });
  ui.prompt.focus();
  document.body.classList.add("is-ready");
}

start();
