// A generated picture at full size, in a modal dialog (Escape or Close shuts it).

import { $ } from "./dom.js";

/** Show a message's picture at full size. */
export function showPicture(message) {
  const dialog = $("picture-dialog");
  const img = $("picture-full");
  img.src = message.image;
  img.alt = `Generated image: ${message.prompt}`;
  $("picture-caption").textContent = message.prompt;
  const close = $("picture-close");
  close.onclick = () => dialog.close();
  dialog.addEventListener("close", () => img.removeAttribute("src"), { once: true });
  dialog.showModal();
  close.focus();
}
