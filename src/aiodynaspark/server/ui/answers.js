// Getting answers: a chat answer streamed in (and saved as it streams), a
// picture drawn, and what can be done to an answer afterwards: regenerate
// it, continue it after Stop, send an edited question again. A rate limit
// with a known wait counts the wait down and retries once by itself.
//
// An answer belongs to its conversation, not to the screen: opening another
// conversation leaves it streaming, saved as it goes, and coming back shows
// it where it has got to. Each conversation has at most one answer running.

import { apiFetch, describeError, streamChat } from "./api.js";
import { saveChat } from "./chats.js";
import { snapshot } from "./conversations.js";
import { imageTypeOfBase64 } from "./images.js";
import { announce, showLongConversation, state, ui } from "./page.js";
import { newId } from "./store.js";

// A longer wait than this is left to the person: the page shows it and offers Retry.
const MAX_AUTO_WAIT_S = 60;
// The free plan's host sleeps when idle and takes 30 to 60 s to wake: after this long with
// no first word, the page says so instead of showing only dots.
const WAKING_AFTER_MS = 5000;
const CONTINUE_PROMPT = "Continue exactly where your previous answer stopped, without repeating any of it.";

let view = null;

/** Give this module the conversation view it draws into. */
export function useView(conversationView) {
  view = conversationView;
}

/** Mark a message changed now: of two tabs' copies, the one changed last is kept. */
export function touch(message) {
  message.changed = Date.now();
}

// ---------------------------------------------------------------- busy state

/** Show Send or Stop for the conversation on screen. */
export function showBusy() {
  const busy = state.running.has(state.conversation.id);
  state.busy = state.running.get(state.conversation.id) ?? null;
  ui.send.hidden = busy;
  ui.stop.hidden = !busy;
}

function setBusy(conversation, busy) {
  if (busy) state.running.set(conversation.id, busy);
  else state.running.delete(conversation.id);
  showBusy();
}

/** Stop the answer being written in the conversation on screen (or the wait before a retry). */
export function stopAnswer() {
  state.running.get(state.conversation.id)?.controller.abort();
}

/** Whether the conversation on screen has an answer being written. */
export function isBusy() {
  return state.running.has(state.conversation.id);
}

// ---------------------------------------------------------------- endings

function countDown(reply, seconds, conversation) {
  const controller = new AbortController();
  setBusy(conversation, { controller });
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
    setBusy(conversation, null);
    retry(reply, { automatic: true, conversation });
  };
  controller.signal.addEventListener("abort", () => {
    reply.retryIn = 0;
    setBusy(conversation, null);
    view.update(reply);
    saveChat(conversation);
  });
  announce(`${reply.error.title} Retrying in ${seconds} seconds.`);
  setTimeout(tick, 1000);
}

// Shared ending of a chat or image answer.
function settle(reply, controller, error, conversation) {
  setBusy(conversation, null);
  touch(reply);
  reply.waking = false;
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

// Leave out the oldest turns until the conversation fits the gateway's bound (the person
// chose "send only the newest turns" after the gateway refused it as too long).
function newestThatFit(turns, fit) {
  if (!fit) return turns;
  // A tenth to spare: the system prompt and a continuation ask count too.
  const room = Math.floor(fit.count * 0.9);
  const kept = [...turns];
  const size = () => (fit.of === "messages" ? kept.length : kept.reduce((n, turn) => n + turn.content.length, 0));
  while (kept.length > 1 && size() > room) kept.shift();
  // A conversation starts with a question.
  while (kept.length > 1 && kept[0].role !== "user") kept.shift();
  return kept;
}

function chatHistory(conversation, index) {
  const messages = conversation.messages;
  const history = [];
  const system = state.settings.system.trim();
  if (system) history.push({ role: "system", content: system });
  const turns = [];
  for (const message of messages.slice(0, index)) {
    if (message.kind !== "chat") continue;
    if (message.role === "assistant" && (message.status === "error" || !message.text)) continue;
    turns.push({ role: message.role, content: message.text });
  }
  history.push(...newestThatFit(turns, conversation.fit));
  // Only the turn being answered carries its image: one image per request, as the library allows.
  const turn = messages[index - 1];
  const last = history[history.length - 1];
  if (turn?.role === "user" && turn.image && last?.role === "user") {
    last.content = [{ type: "text", text: turn.text }, { type: "image_url", image_url: { url: turn.image } }];
  }
  return history;
}

// Until the first word, say after a while that the host may be waking up.
function watchWaking(reply, controller) {
  const timer = setTimeout(() => {
    if (controller.signal.aborted || reply.status !== "pending") return;
    reply.waking = true;
    view.update(reply);
    announce("The service is waking up, this can take a minute.");
  }, WAKING_AFTER_MS);
  controller.signal.addEventListener("abort", () => clearTimeout(timer));
  return timer;
}

async function answerChat(reply, conversation, { continuing = false } = {}) {
  const index = conversation.messages.indexOf(reply);
  const messages = continuing
    ? [...chatHistory(conversation, index + 1), { role: "user", content: CONTINUE_PROMPT }]
    : chatHistory(conversation, index);
  const payload = { messages };
  if (reply.model) payload.model = reply.model;
  const controller = new AbortController();
  setBusy(conversation, { controller });
  announce(continuing ? "Continuing the answer…" : "Waiting for the answer…");
  const waking = watchWaking(reply, controller);
  let error = null;
  const options = {
    truncate: conversation.truncate === true,
    onUsage: (usage) => {
      const tokens = Number(usage.completion_tokens);
      if (Number.isFinite(tokens)) reply.tokens = (continuing ? reply.tokens || 0 : 0) + tokens;
    },
    onWhole: (dropped) => {
      reply.whole = true;
      if (!conversation.wholeNoticed) {
        conversation.wholeNoticed = true;
        showLongConversation(conversation, dropped);
      }
    },
  };
  try {
    await streamChat(payload, controller.signal, (piece) => {
      if (controller.signal.aborted) return;
      if (reply.status !== "streaming") {
        clearTimeout(waking);
        reply.status = "streaming";
        reply.waking = false;
        view.update(reply);
        announce("Answering…");
      }
      reply.text += piece;
      reply.changed = Date.now();
      view.updateText(reply);
      saveChat(conversation, { soon: true });
    }, options);
    if (state.conversation === conversation) announce("Answer complete.");
  } catch (caught) {
    error = caught;
  }
  clearTimeout(waking);
  settle(reply, controller, error, conversation);
}

async function answerImage(reply, conversation) {
  const controller = new AbortController();
  setBusy(conversation, { controller });
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

function answer(reply, conversation) {
  return reply.kind === "image" ? answerImage(reply, conversation) : answerChat(reply, conversation);
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
  touch(user);
  touch(reply);
  state.messages.push(user, reply);
  view.refreshActions();
  view.update(user);
  view.update(reply);
  view.scrollToBottom();
  saveChat(state.conversation);
  answer(reply, state.conversation);
}

/** Write an answer again (Retry after an error, Regenerate after an answer). */
export function retry(reply, { automatic = false, conversation = state.conversation } = {}) {
  if (state.running.has(conversation.id) && !automatic) return;
  if (!automatic) reply.autoRetried = false;
  Object.assign(reply, {
    status: "pending", text: "", error: null, image: null, retryIn: 0, tokens: null, whole: false,
  });
  touch(reply);
  view.update(reply);
  answer(reply, conversation);
}

/** Continue an answer that was stopped. */
export function continueAnswer(reply) {
  if (isBusy()) return;
  reply.status = "streaming";
  reply.error = null;
  touch(reply);
  view.update(reply);
  answerChat(reply, state.conversation, { continuing: true });
}

/**
 * Send the open conversation's next questions so that they fit: after the gateway refused
 * it as too long, only the newest turns within its bound go out, then the answer is retried.
 */
export function sendNewestThatFit(reply) {
  const limit = reply.error?.limit;
  if (!limit || isBusy()) return;
  state.conversation.fit = limit;
  retry(reply);
}

/** Write a finished answer again, keeping the one there as a version to go back to. */
export function regenerate(reply) {
  if (isBusy()) return;
  if (reply.status === "error" || (!reply.text && !reply.image)) {
    retry(reply);
    return;
  }
  const versions = reply.versions?.length ? reply.versions : [null];
  versions[reply.shown ?? 0] = snapshot(reply);
  versions.push({});
  reply.versions = versions;
  reply.shown = versions.length - 1;
  retry(reply);
}

/** Show another version of a question (with what followed it) or of an answer. */
export function showVersion(message, at) {
  const conversation = state.conversation;
  const messages = conversation.messages;
  const target = message.versions?.[at];
  if (isBusy() || !target || at === message.shown) return;
  if (message.role === "assistant") {
    message.versions[message.shown] = snapshot(message);
    const { text, status, tokens, model, error, image, whole } = target;
    Object.assign(message, { text, status, tokens, model, error, image, whole });
  } else {
    const index = messages.indexOf(message);
    if (index < 0) return;
    const tail = messages.splice(index + 1);
    message.versions[message.shown] = snapshot(message, tail);
    const now = Date.now();
    for (const gone of tail) conversation.removed[gone.id] = now;
    Object.assign(message, { text: target.text, image: target.image, imageName: target.imageName });
    for (const back of target.after) {
      delete conversation.removed[back.id];
      back.changed = now + 1;
    }
    messages.push(...target.after);
    target.after = [];
  }
  message.shown = at;
  touch(message);
  view.show(messages);
  saveChat(conversation);
  announce(`Version ${at + 1} of ${message.versions.length}.`);
}

/** Send an edited question again: what followed it is kept as a version, and answered anew. */
export function resend(question, text) {
  if (isBusy()) return;
  const conversation = state.conversation;
  const messages = conversation.messages;
  const at = messages.indexOf(question);
  if (at < 0) return;
  const tail = messages.splice(at + 1);
  const old = tail.find((message) => message.role === "assistant");
  const versions = question.versions?.length ? question.versions : [null];
  versions[question.shown ?? 0] = snapshot(question, tail);
  versions.push({ text, image: question.image, imageName: question.imageName, after: [] });
  Object.assign(question, { versions, shown: versions.length - 1, text });
  const now = Date.now();
  for (const gone of tail) conversation.removed[gone.id] = now;
  touch(question);
  const reply = {
    id: newId(), role: "assistant", kind: question.kind, text: "", status: "pending", image: null,
    imageName: "", imageDropped: false, error: null, prompt: text,
    model: old?.model ?? (question.kind === "image" ? state.settings.imageModel : state.settings.model),
  };
  touch(reply);
  messages.push(reply);
  view.show(messages);
  saveChat(conversation);
  answer(reply, conversation);
}
