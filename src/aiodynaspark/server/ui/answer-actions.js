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

/** Copy a code block's text (the button sits in the block's head), and say so on the button. */
export function copyCode(button) {
  const code = button.closest(".code-block")?.querySelector("pre")?.textContent ?? "";
  const word = button.lastChild;
  const done = (text, said) => {
    word.textContent = text;
    announce(said);
    setTimeout(() => {
      word.textContent = "Copy";
    }, COPIED_MS);
  };
  if (!navigator.clipboard?.writeText) {
    done("Copy failed", "Could not copy: this page is not on a secure address.");
    return;
  }
  navigator.clipboard.writeText(code).then(
    () => done("Copied", "Code copied."),
    () => done("Copy failed", "Could not copy: the browser refused clipboard access."),
  );
}

/** Copy an answer's Markdown text to the clipboard. */
export function copyAnswer(message) {
  navigator.clipboard.writeText(message.text).then(
    () => announce("Answer copied."),
    () => announce("Could not copy: the browser refused clipboard access."),
  );
}
