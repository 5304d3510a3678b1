// The chat page: sends the composer's text and ties the pieces together: the
// conversations (chats.js), the answers (answers.js), the header (header.js),
// the image attachment (attachments.js), read-aloud and copy
// (answer-actions.js), the full-size picture (picture-dialog.js). Requests go
// through api.js; rendering through view.js (model text never becomes HTML);
// shared elements and state are page.js.

import { copyAnswer, copyCode, playAnswer } from "./answer-actions.js";
import { ask, continueAnswer, isBusy, resend, retry, stopAnswer, useView } from "./answers.js";
import { setKeyPrompt } from "./api.js";
import { setAttachment, wireAttachments } from "./attachments.js";
import { newChat, startChats } from "./chats.js";
import { $ } from "./dom.js";
import { applyMode, loadModels, wireHeader } from "./header.js";
import { keyPrompt } from "./keydialog.js";
import { showNotice, state, ui } from "./page.js";
import { showPicture } from "./picture-dialog.js";
import { ConversationView } from "./view.js";

const view = new ConversationView(
  { list: $("messages"), scroller: $("conversation"), empty: $("empty"), jump: $("jump") },
  {
    retry: (message) => retry(message),
    regenerate: (message) => retry(message),
    continue: continueAnswer,
    resend,
    isBusy,
    play: playAnswer,
    copy: navigator.clipboard?.writeText ? copyAnswer : null,
    copyCode,
    viewPicture: showPicture,
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
  if (attached) setAttachment(null);
  ui.notice.hidden = true;
  ask({
    kind: mode, text, image: attached?.dataUrl ?? null, imageName: attached?.name ?? "",
    model: mode === "image" ? state.settings.imageModel : state.settings.model,
  });
}

// Opening another conversation (or a new one) stops the answer being written: it stays, stopped.
function showConversation(conversation) {
  stopAnswer();
  setAttachment(null);
  for (const url of state.audioUrls.splice(0)) URL.revokeObjectURL(url);
  view.show(conversation.messages);
  ui.prompt.focus();
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
    if (event.key === "Escape" && state.busy && !document.querySelector("dialog[open]")) stopAnswer();
  });
  ui.stop.addEventListener("click", () => {
    stopAnswer();
    ui.prompt.focus();
  });
}

async function start() {
  const ask = keyPrompt({
    dialog: $("key-dialog"), form: $("key-form"), input: $("key-input"),
    reason: $("key-reason"), cancel: $("key-cancel"),
  });
  setKeyPrompt(async (why) => {
    const key = await ask(why);
    // A key given later (the first prompt was cancelled) also unlocks the model list.
    if (key && state.models.chat.length === 0) setTimeout(loadModels, 0);
    return key;
  });
  wireComposer();
  wireAttachments();
  wireHeader(newChat);
  applyMode();
  loadModels();
  await startChats(showConversation);
  ui.prompt.focus();
  document.body.classList.add("is-ready");
}

start();
