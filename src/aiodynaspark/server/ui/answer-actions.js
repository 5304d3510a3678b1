// The buttons under an answer that act on its text: read it aloud (through
// /v1/audio/speech, as plain text without the Markdown) and copy it.

import { apiFetch, describeError } from "./api.js";
import { el } from "./dom.js";
import { renderMarkdown } from "./markdown.js";
import { announce, showNotice, state } from "./page.js";

// OpenAI's documented input limit for /v1/audio/speech.
const MAX_SPEECH_CHARS = 4096;

/** Speak an answer: fetch its audio once, then replay the player it added. */
export async function playAnswer(message, button, bubble) {
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

const COPIED_MS = 2000;

// Without a secure context (the page opened over plain HTTP from another device) there is
// no navigator.clipboard: the text is put in a selected, off-screen text area and copied
// with the older command, which browsers still honour inside a click or key press.
function copyBySelection(text) {
  const area = el("textarea", "copy-buffer");
  area.value = text;
  area.setAttribute("readonly", "");
  area.setAttribute("aria-hidden", "true");
  area.tabIndex = -1;
  const focused = document.activeElement;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  focused?.focus?.({ preventScroll: true });
  return ok;
}

/**
 * Put text on the clipboard, with or without a secure context.
 * @param {string} text
 * @returns {Promise<boolean>} whether it was copied
 */
export async function copyText(text) {
  if (window.isSecureContext && navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Refused (no permission, page not focused): the selection way may still work.
    }
  }
  return copyBySelection(text);
}

/** Copy a code block's text (the button sits in the block's head), and say so on the button. */
export function copyCode(button) {
  const code = button.closest(".code-block")?.querySelector("pre")?.textContent ?? "";
  const word = button.lastChild;
  copyText(code).then((ok) => {
    word.textContent = ok ? "Copied" : "Copy failed";
    announce(ok ? "Code copied." : "Could not copy: the browser refused clipboard access.");
    setTimeout(() => {
      word.textContent = "Copy";
    }, COPIED_MS);
  });
}

/** Copy an answer's Markdown text to the clipboard. */
export function copyAnswer(message) {
  copyText(message.text).then((ok) => {
    announce(ok ? "Answer copied." : "Could not copy: the browser refused clipboard access.");
  });
}
