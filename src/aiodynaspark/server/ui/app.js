// The chat page: ties the composer, the model picker, image mode, read-aloud
// and the API key dialog to the conversation view. Requests go through
// api.js; rendering through view.js (model text never becomes HTML).

import { apiFetch, describeError, forgetKey, setKeyPrompt, storedKey, streamChat } from "./api.js";
import { $, el, formatBytes } from "./dom.js";
import { ImageRefused, imageFilesOf, imageTypeOfBase64, readImage } from "./images.js";
import { keyPrompt } from "./keydialog.js";
import { renderMarkdown } from "./markdown.js";
import { load, newId, save } from "./store.js";
import { ConversationView } from "./view.js";

// OpenAI's documented input limit for /v1/audio/speech.
const MAX_SPEECH_CHARS = 4096;
// Image ids of the Dynaspark REST API (protocol page, section 2): /v1/models lists chat models only.
const KNOWN_IMAGE_MODELS = ["flux", "turbo", "gptimage"];
const NON_CHAT_MODELS = new Set([...KNOWN_IMAGE_MODELS, "openai-audio", "tts-1", "tts-1-hd"]);
const NOTICE_MS = 8000;
const ONE_IMAGE = "Only one image can be sent per message. Remove the attached image before adding another.";

const ui = {
  composer: $("composer"), prompt: $("prompt"), send: $("send"), stop: $("stop"),
  attach: $("attach"), fileInput: $("file-input"), attachment: $("attachment"),
  thumb: $("attachment-thumb"), attachmentName: $("attachment-name"), attachmentSize: $("attachment-size"),
  removeImage: $("remove-image"), model: $("model"), newChat: $("new-chat"),
  settingsToggle: $("settings-toggle"), settings: $("settings"), system: $("system"),
  voice: $("voice"), size: $("size"), keyField: $("key-field"), forgetKey: $("forget-key"),
  status: $("status"), notice: $("notice"),
};

const saved = load();
const state = {
  messages: saved.messages,
  settings: saved.settings,
  models: { chat: [], image: KNOWN_IMAGE_MODELS },
  attachment: null, // {dataUrl, name, type, size}
  reading: false, // an image is being read
  busy: null, // {controller}
  audioUrls: [], // blob: URLs of spoken answers, revoked on "New chat"
};
let noticeTimer = 0;

const view = new ConversationView(
  { list: $("messages"), scroller: $("conversation"), empty: $("empty") },
  { retry: retryReply, play: playAnswer, copy: navigator.clipboard?.writeText ? copyAnswer : null },
);

// ---------------------------------------------------------------- feedback

function announce(text) {
  ui.status.textContent = text;
}

function showNotice(text) {
  ui.notice.textContent = text;
  ui.notice.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => {
    ui.notice.hidden = true;
  }, NOTICE_MS);
}

function persist() {
  if (!save(state.messages, state.settings)) {
    announce("Browser storage is full: older images were left out of the saved conversation.");
  }
}

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

// ---------------------------------------------------------------- chat

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

// ---------------------------------------------------------------- answer actions

async function playAnswer(message, button, bubble) {
  const existing = bubble.querySelector("audio");
  if (existing) {
    existing.play().catch(() => {});
    return;
  }
  const word = button.lastChild;
  button.disabled = true;
  word.textContent = "Loading…";
  announce("Fetching the audio…");
  try {
    const plain = renderMarkdown(message.text).textContent.slice(0, MAX_SPEECH_CHARS);
    const response = await apiFetch("/v1/audio/speech", {
      method: "POST",
      body: { model: "tts-1", input: plain, voice: state.settings.voice, response_format: "mp3" },
    });
    const url = URL.createObjectURL(await response.blob());
    state.audioUrls.push(url);
    const audio = el("audio", "msg-audio");
    audio.controls = true;
    audio.src = url;
    audio.setAttribute("aria-label", "Spoken answer");
    bubble.append(audio);
    announce("Playing the answer.");
    audio.play().catch(() => announce("Audio ready: press play on the player."));
  } catch (error) {
    const { title, detail } = describeError(error);
    announce(`Read-aloud failed. ${title} ${detail}`);
    showNotice(`Read-aloud failed. ${title} ${detail}`);
  } finally {
    button.disabled = false;
    word.textContent = "Play";
  }
}

function copyAnswer(message) {
  navigator.clipboard.writeText(message.text).then(
    () => announce("Answer copied."),
    () => announce("Could not copy: the browser refused clipboard access."),
  );
}

// ---------------------------------------------------------------- attachment

async function addImages(files) {
  if (files.length === 0) return;
  if (state.settings.mode === "image") {
    showNotice("Images are sent in Chat mode only: switch to Chat to ask about a picture.");
    return;
  }
  if (state.attachment || state.reading || files.length > 1) {
    showNotice(files.length > 1 && !state.attachment ? "Only one image can be sent per message. Choose a single image." : ONE_IMAGE);
    return;
  }
  state.reading = true;
  try {
    const image = await readImage(files[0]);
    setAttachment(image);
    announce(`Image attached: ${image.name}.`);
  } catch (error) {
    showNotice(error instanceof ImageRefused ? error.message : `Could not read the image: ${error.message}`);
  } finally {
    state.reading = false;
  }
}

function setAttachment(attachment) {
  state.attachment = attachment;
  ui.attachment.hidden = !attachment;
  if (attachment) {
    ui.thumb.src = attachment.dataUrl;
    ui.thumb.alt = `Attached image ${attachment.name}`;
    ui.attachmentName.textContent = attachment.name;
    ui.attachmentSize.textContent = formatBytes(attachment.size);
  } else {
    ui.thumb.removeAttribute("src");
    ui.fileInput.value = "";
  }
}

// ---------------------------------------------------------------- models and settings

function fillModels() {
  const image = state.settings.mode === "image";
  const ids = image ? state.models.image : state.models.chat;
  const key = image ? "imageModel" : "model";
  const options = ids.map((id) => {
    const option = el("option", "", id);
    option.value = id;
    return option;
  });
  if (ids.length === 0) {
    options.push(el("option", "", "default model"));
    options[0].value = "";
  }
  ui.model.replaceChildren(...options);
  // Before the list arrives the saved choice is kept, not replaced by the default.
  if (ids.length && !ids.includes(state.settings[key])) state.settings[key] = ids[0];
  ui.model.value = ids.length ? state.settings[key] : "";
  ui.model.disabled = ids.length === 0;
  ui.model.setAttribute("aria-label", image ? "Image model" : "Model");
}

async function loadModels() {
  try {
    const response = await apiFetch("/v1/models");
    const ids = ((await response.json())?.data ?? [])
      .map((model) => model?.id)
      .filter((id) => typeof id === "string" && id);
    state.models.chat = ids.filter((id) => !NON_CHAT_MODELS.has(id));
    fillModels();
  } catch (error) {
    const { title, detail } = describeError(error);
    announce(`Could not load the models. ${title} ${detail}`);
  } finally {
    ui.keyField.hidden = !storedKey();
  }
}

function applyMode() {
  const image = state.settings.mode === "image";
  $(image ? "mode-image" : "mode-chat").checked = true;
  document.body.classList.toggle("mode-image", image);
  ui.prompt.placeholder = image ? "Describe a picture to draw…" : "Message Dynaspark…";
  ui.send.setAttribute("aria-label", image ? "Draw the picture" : "Send");
  ui.attach.disabled = image;
  fillModels();
}

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

// ---------------------------------------------------------------- wiring

function onSetting(control, name, event = "change") {
  control.value = state.settings[name];
  if (control.tagName === "SELECT" && control.selectedIndex < 0) {
    control.selectedIndex = 0; // a saved value this page no longer offers
    state.settings[name] = control.value;
  }
  control.addEventListener(event, () => {
    state.settings[name] = control.value;
    persist();
  });
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
  ui.attach.addEventListener("click", () => {
    if (state.attachment) showNotice(ONE_IMAGE);
    else ui.fileInput.click();
  });
  ui.fileInput.addEventListener("change", () => {
    addImages([...ui.fileInput.files]).finally(() => {
      ui.fileInput.value = "";
    });
  });
  ui.removeImage.addEventListener("click", () => {
    setAttachment(null);
    announce("Image removed.");
    ui.prompt.focus();
  });
  document.addEventListener("paste", (event) => {
    const files = imageFilesOf(event.clipboardData);
    if (files.length) {
      event.preventDefault();
      addImages(files);
    }
  });
  ui.composer.addEventListener("dragover", (event) => {
    if ([...(event.dataTransfer?.types ?? [])].includes("Files")) event.preventDefault();
  });
  ui.composer.addEventListener("drop", (event) => {
    const files = imageFilesOf(event.dataTransfer);
    if (files.length) {
      event.preventDefault();
      addImages(files);
    }
  });
}

function wireHeader() {
  for (const radio of document.querySelectorAll("input[name=mode]")) {
    radio.addEventListener("change", () => {
      state.settings.mode = radio.value === "image" ? "image" : "chat";
      applyMode();
      persist();
    });
  }
  ui.model.addEventListener("change", () => {
    state.settings[state.settings.mode === "image" ? "imageModel" : "model"] = ui.model.value;
    persist();
  });
  ui.settingsToggle.addEventListener("click", () => {
    const open = ui.settings.hidden;
    ui.settings.hidden = !open;
    ui.settingsToggle.setAttribute("aria-expanded", String(open));
    if (open) ui.system.focus();
  });
  onSetting(ui.system, "system", "input");
  onSetting(ui.voice, "voice");
  onSetting(ui.size, "size");
  ui.forgetKey.addEventListener("click", () => {
    forgetKey();
    ui.keyField.hidden = true;
    announce("API key forgotten for this tab.");
  });
  ui.newChat.addEventListener("click", newChat);
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
  wireHeader();
  applyMode();
  view.show(state.messages);
  loadModels();
  ui.prompt.focus();
  document.body.classList.add("is-ready");
}

start();
