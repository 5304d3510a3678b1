// Getting answers: a chat answer streamed in (and saved as it streams), a
// picture drawn, and what can be done to an answer afterwards: regenerate
// it, continue it after Stop, send an edited question again. A rate limit
// with a known wait counts the wait down and retries once by itself.

import { apiFetch, describeError, streamChat } from "./api.js";
import { saveChat } from "./chats.js";
import { imageTypeOfBase64 } from "./images.js";
import { announce, state, ui } from "./page.js";
import { newId } from "./store.js";

// A longer wait than this is left to the person: the page shows it and offers Retry.
const MAX_AUTO_WAIT_S = 60;
const CONTINUE_PROMPT = "Continue exactly where your previous answer stopped, without repeating any of it.";

let view = null;

/** Give this module the conversation view it draws into. */
export function useView(conversationView) {
  view = conversationView;
}

// ---------------------------------------------------------------- busy state

function setBusy(busy) {
  state.busy = busy;
  ui.send.hidden = Boolean(busy);
  ui.stop.hidden = !busy;
}

/** Stop the answer being written (or the wait before a retry). */
export function stopAnswer() {
  state.busy?.controller.abort();
}

export function isBusy() {
  return Boolean(state.busy);
}

// ---------------------------------------------------------------- endings

function countDown(reply, seconds, conversation) {
  const controller = new AbortController();
  setBusy({ controller });
  reply.retryIn = seconds;
  view.update(reply);
  const tick = () => {
    if (controller.signal.aborted) return;
    reply.retryIn -= 1;
    if (reply.retryIn > 0) {
      view.update(reply);
      setTimeout(tick, 1000);
      return;
    }
    setBusy(null);
    retry(reply, { automatic: true });
  };
  controller.signal.addEventListener("abort", () => {
    reply.retryIn = 0;
    setBusy(null);
    view.update(reply);
    saveChat(conversation);
  });
  announce(`${reply.error.title} Retrying in ${seconds} seconds.`);
  setTimeout(tick, 1000);
}

// Shared ending of a chat or image answer.
function settle(reply, controller, error, conversation) {
  setBusy(null);
  if (!error) {
    reply.status = "done";
    reply.autoRetried = false;
  } else if (controller.signal.aborted || error?.name === "AbortError") {
    reply.status = "stopped";
    announce("Stopped.");
  } else {
    reply.status = "error";
    reply.error = describeError(error);
    const wait = reply.error.retryAfter;
    if (reply.error.kind === "rate_limit" && wait != null && wait <= MAX_AUTO_WAIT_S && !reply.autoRetried) {
      reply.autoRetried = true;
      saveChat(conversation);
      countDown(reply, Math.max(1, wait), conversation);
      return;
    }
    // The error box itself is an alert: the status line stays quiet, so it is said once.
  }
  view.update(reply);
  saveChat(conversation);
}

// ---------------------------------------------------------------- answers

function chatHistory(messages, index) {
  const history = [];
  const system = state.settings.system.trim();
  if (system) history.push({ role: "system", content: system });
  for (const message of messages.slice(0, index)) {
    if (message.kind !== "chat") continue;
    if (message.role === "assistant" && (message.status === "error" || !message.text)) continue;
    history.push({ role: message.role, content: message.text });
  }
  // Only the turn being answered carries its image: one image per request, as the library allows.
  const turn = messages[index - 1];
  const last = history[history.length - 1];
  if (turn?.role === "user" && turn.image && last?.role === "user") {
    last.content = [{ type: "text", text: turn.text }, { type: "image_url", image_url: { url: turn.image } }];
  }
  return history;
}

async function answerChat(reply, { continuing = false } = {}) {
  const conversation = state.conversation;
  const index = conversation.messages.indexOf(reply);
  const messages = continuing
    ? [...chatHistory(conversation.messages, index + 1), { role: "user", content: CONTINUE_PROMPT }]
    : chatHistory(conversation.messages, index);
  const payload = { messages };
  if (reply.model) payload.model = reply.model;
  const controller = new AbortController();
  setBusy({ controller });
  announce(continuing ? "Continuing the answer…" : "Waiting for the answer…");
  let error = null;
  try {
    await streamChat(payload, controller.signal, (piece) => {
      if (controller.signal.aborted) return;
      if (reply.status !== "streaming") {
        reply.status = "streaming";
        view.update(reply);
        announce("Answering…");
      }
      reply.text += piece;
      view.updateText(reply);
      saveChat(conversation, { soon: true });
    });
    announce("Answer complete.");
  } catch (caught) {
    error = caught;
  }
  settle(reply, controller, error, conversation);
}

async function answerImage(reply) {
  const conversation = state.conversation;
  const controller = new AbortController();
  setBusy({ controller });
  announce("Drawing the picture…");
  const body = { prompt: reply.prompt, n: 1, response_format: "b64_json", size: state.settings.size };
  if (reply.model) body.model = reply.model;
  let error = null;
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
  } catch (caught) {
    error = caught;
  }
  settle(reply, controller, error, conversation);
}

function answer(reply) {
  return reply.kind === "image" ? answerImage(reply) : answerChat(reply);
}

/** Ask a question: add it and its answer to the open conversation. */
export function ask({ kind, text, image, imageName, model }) {
  const common = { imageDropped: false, error: null };
  const user = {
    ...common, id: newId(), role: "user", kind, text, status: "done", model: "", prompt: "", image, imageName,
  };
  const reply = {
    ...common, id: newId(), role: "assistant", kind, text: "", status: "pending", image: null,
    imageName: "", prompt: text, model,
  };
  state.messages.push(user, reply);
  view.refreshActions();
  view.update(user);
  view.update(reply);
  view.scrollToBottom();
  saveChat(state.conversation);
  answer(reply);
}

/** Write an answer again (Retry after an error, Regenerate after an answer). */
export function retry(reply, { automatic = false } = {}) {
  if (state.busy && !automatic) return;
  if (!automatic) reply.autoRetried = false;
  Object.assign(reply, { status: "pending", text: "", error: null, image: null, retryIn: 0 });
  view.update(reply);
  answer(reply);
}

/** Continue an answer that was stopped. */
export function continueAnswer(reply) {
  if (state.busy) return;
  reply.status = "streaming";
  reply.error = null;
  view.update(reply);
  answerChat(reply, { continuing: true });
}

/** Send an edited question again: what came after it is replaced by a new answer. */
export function resend(question, text) {
  if (state.busy) return;
  const messages = state.messages;
  const at = messages.indexOf(question);
  if (at < 0) return;
  const [, ...after] = messages.splice(at);
  const old = after.find((message) => message.role === "assistant");
  view.show(messages);
  ask({
    kind: question.kind, text, image: question.image, imageName: question.imageName,
    model: old?.model ?? (question.kind === "image" ? state.settings.imageModel : state.settings.model),
  });
}
