// The composer's image attachment: one picture per chat message, added with
// the attach button, by pasting or by dropping a file anywhere on the
// conversation, shown as a thumbnail
// until it is sent or removed.

import { formatBytes } from "./dom.js";
import { ImageRefused, imageFilesOf, readImage } from "./images.js";
import { announce, showNotice, state, ui } from "./page.js";

const ONE_IMAGE = "Only one image can be sent per message. Remove the attached image before adding another.";

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

/**
 * Show an attachment in the composer, or clear it.
 * @param {{dataUrl: string, name: string, type: string, size: number} | null} attachment
 */
export function setAttachment(attachment) {
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

/** Listen for images: the attach button, the file picker, remove, paste and drop. */
export function wireAttachments() {
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
  // A picture can be dropped anywhere on the conversation, not only on the message box.
  ui.app.addEventListener("dragover", (event) => {
    if ([...(event.dataTransfer?.types ?? [])].includes("Files")) event.preventDefault();
  });
  ui.app.addEventListener("drop", (event) => {
    const files = imageFilesOf(event.dataTransfer);
    if (files.length) {
      event.preventDefault();
      addImages(files);
    }
  });
}
