// The page's header and settings panel: the Chat/Image mode switch, the model
// picker (filled from /v1/models), the system prompt, voice and picture size,
// and forgetting the API key.

import { apiFetch, describeError, forgetKey, storedKey } from "./api.js";
import { $, el } from "./dom.js";
import { announce, KNOWN_IMAGE_MODELS, persist, state, ui } from "./page.js";

const NON_CHAT_MODELS = new Set([...KNOWN_IMAGE_MODELS, "openai-audio", "tts-1", "tts-1-hd"]);

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

/** Ask the gateway for its chat models and fill the picker. */
export async function loadModels() {
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

/** Show the saved mode: the switch, the composer's wording and the matching models. */
export function applyMode() {
  const image = state.settings.mode === "image";
  $(image ? "mode-image" : "mode-chat").checked = true;
  document.body.classList.toggle("mode-image", image);
  ui.prompt.placeholder = image ? "Describe a picture to draw…" : "Message Dynaspark…";
  ui.send.setAttribute("aria-label", image ? "Draw the picture" : "Send");
  ui.attach.disabled = image;
  fillModels();
}

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

/** Close Settings (Esc), giving focus back to its button; false when it was closed. */
export function closeSettings() {
  if (ui.settings.hidden) return false;
  ui.settings.hidden = true;
  ui.settingsToggle.setAttribute("aria-expanded", "false");
  ui.settingsToggle.focus();
  return true;
}

/**
 * Listen to the header's controls.
 * @param {() => void} newChat what the "New chat" button does
 */
export function wireHeader(newChat) {
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
