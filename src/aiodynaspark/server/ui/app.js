// The chat page: sends the composer's text, streams the chat answer or draws
// the picture, and ties the pieces to the conversation view: the header
// (header.js), the image attachment (attachments.js), read-aloud and copy
// (answer-actions.js). Requests go through api.js; rendering through view.js
// (model text never becomes HTML); shared elements and state are page.js.

import { copyAnswer, playAnswer } from "./answer-actions.js";
import { apiFetch, describeError, setKeyPrompt, streamChat } from "./api.js";
import { setAttachment, wireAttachments } from "./attachments.js";
import { $ } from "./dom.js";
import { applyMode, loadModels, wireHeader } from "./header.js";
import { imageTypeOfBase64 } from "./images.js";
import { keyPrompt } from "./keydialog.js";
import { announce, persist, showNotice, state, ui } from "./page.js";
import { newId } from "./store.js";
import { ConversationView } from "./view.js";

const view = new ConversationView(
  { list: $("messages"), scroller: $("conversation"), empty: $("empty") },
  { retry: retryReply, play: playAnswer, copy: navigator.clipboard?.writeText ? copyAnswer : null },
);

// ---------------------------------------------------------------- busy state

function setBusy(busy) {
  state.busy = busy;
  ui.send.hidden = Boolean(busy);
  ui.stop.hidden = !busy;
}

function stopAnswer() {
  state.busy?.controller.abort();
}

// Shared ending of a chat or image answer.
function settle(reply, controller, error) {
  if (!error) {
    reply.status = "done";
  } else if (controller.signal.aborted || error?.name === "AbortError") {
    reply.status = "stopped";
    announce("Stopped.");
  } else {
    reply.status = "error";
    reply.error = describeError(error);
    announce(`${reply.error.title} ${reply.error.detail}`);
  }
  view.forget(reply);
  setBusy(null);
  view.update(reply);
  persist();
}

// ---------------------------------------------------------------- answers

function chatHistory(index) {
  const history = [];
  const system = state.settings.system.trim();
  if (system) history.push({ role: "system", content: system });
  for (const message of state.messages.slice(0, index)) {
    if (message.kind !== "chat") continue;
    if (message.role === "assistant" && (message.status === "error" || !message.text)) continue;
    history.push({ role: message.role, content: message.text });
  }
  // Only the turn being answered carries its image: one image per request, as the library allows.
  const turn = state.messages[index - 1];
  const last = history[history.length - 1];
  if (turn?.role === "user" && turn.image && last?.role === "user") {
    last.content = [{ type: "text", text: turn.text }, { type: "image_url", image_url: { url: turn.image } }];
  }
  return history;
}

async function answerChat(reply) {
  const payload = { messages: chatHistory(state.messages.indexOf(reply)) };
  if (reply.model) payload.model = reply.model;
  const controller = new AbortController();
  setBusy({ controller });
  announce("Waiting for the answer…");
  try {
    await streamChat(payload, controller.signal, (piece) => {
      if (controller.signal.aborted) return;
      if (reply.status === "pending") {
        reply.status = "streaming";
        view.update(reply);
        announce("Answering…");
      }
      reply.text += piece;
      view.updateText(reply);
    });
    announce("Answer complete.");
    settle(reply, controller, null);
  } catch (error) {
    settle(reply, controller, error);
  }
}

async function answerImage(reply) {
  const controller = new AbortController();
  setBusy({ controller });
  announce("Drawing the picture…");
  const body = { prompt: reply.prompt, n: 1, response_format: "b64_json", size: state.settings.size };
  if (reply.model) body.model = reply.model;
  try {
    const response = await apiFetch("/v1/images/generations", { method: "POST", body, signal: controller.signal });
    const item = (await response.json())?.data?.[0] ?? {};
    if (typeof item.b64_json !== "string" || !/^[A-Za-z0-9+/=\s]+$/.test(item.b64_json)) {
      throw new Error("The gateway answered without the picture's data.");
    }
    const data = item.b64_json.replace(/\s+/g, "");
    reply.image = `data:${imageTypeOfBase64(data) || "image/png"};base64,${data}`;
    reply.text = typeof item.revised_prompt === "string" ? item.revised_prompt : "";
    announce("Picture ready.");
    settle(reply, controller, null);
  } catch (error) {
    settle(reply, controller, error);
  }
}

function answer(reply) {
  return reply.kind === "image" ? answerImage(reply) : answerChat(reply);
}

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
  const common = { imageDropped: false, error: null };
  const user = {
    ...common, id: newId(), role: "user", kind: mode, text, status: "done", model: "", prompt: "",
    image: attached?.dataUrl ?? null, imageName: attached?.name ?? "",
  };
  const reply = {
    ...common, id: newId(), role: "assistant", kind: mode, text: "", status: "pending", image: null,
    imageName: "", prompt: text, model: mode === "image" ? state.settings.imageModel : state.settings.model,
  };
  state.messages.push(user, reply);
  ui.prompt.value = "";
  if (attached) setAttachment(null);
  ui.notice.hidden = true;
  view.update(user);
  view.update(reply);
  view.scrollToBottom();
  persist();
  answer(reply);
}

function retryReply(message) {
  if (state.busy) return;
  Object.assign(message, { status: "pending", text: "", error: null, image: null });
  view.update(message);
  answer(message);
}

// ---------------------------------------------------------------- wiring

function newChat() {
  stopAnswer();
  state.messages = [];
  setAttachment(null);
  for (const url of state.audioUrls.splice(0)) URL.revokeObjectURL(url);
  view.show(state.messages);
  persist();
  announce("New chat started.");
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

function start() {
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
  view.show(state.messages);
  loadModels();
  ui.prompt.focus();
  document.body.classList.add("is-ready");
}

start();
