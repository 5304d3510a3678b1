// Keeping a copy of the conversations outside this browser: every one as JSON
// (a backup another browser can import) and the one on screen as Markdown.
// An imported file is checked as stored data is (conversations.js), record by
// record: it is as untrusted as model output.

import { addConversations } from "./chats.js";
import { cleanImported, plainConversation } from "./conversations.js";
import { el } from "./dom.js";
import { announce, showNotice, state } from "./page.js";

const FORMAT = "aiodynaspark-chat";
// An export file over this is refused before it is read (500 conversations of text fit).
const MAX_IMPORT_BYTES = 200 * 1024 * 1024;

function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = el("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function day() {
  return new Date().toISOString().slice(0, 10);
}

/** Every conversation, as one JSON file. */
export function exportAll() {
  const conversations = state.conversations.map((conversation) => plainConversation(conversation));
  const file = { format: FORMAT, version: 1, exported: new Date().toISOString(), conversations };
  download(`dynaspark-chats-${day()}.json`, "application/json", JSON.stringify(file, null, 1));
  announce(`Exported ${conversations.length} conversations.`);
}

/**
 * A conversation as Markdown: its title, then each question and answer under a heading.
 * @param {object} conversation
 * @returns {string}
 */
export function conversationMarkdown(conversation) {
  const parts = [`# ${conversation.title}`];
  for (const message of conversation.messages) {
    if (message.role === "user") {
      parts.push("## You", message.image ? `${message.text}\n\n*(an image was attached)*` : message.text);
    } else {
      const who = message.model ? `Dynaspark (${message.model})` : "Dynaspark";
      const body = message.kind === "image" ? "*(a generated picture)*" : message.text;
      parts.push(`## ${who}`, message.status === "error" ? `*(no answer: ${message.error?.title ?? "error"})*` : body);
    }
  }
  return `${parts.join("\n\n")}\n`;
}

/** The conversation on screen, as a Markdown file. */
export function exportOne() {
  const conversation = state.conversation;
  if (conversation.messages.length === 0) {
    showNotice("This conversation is empty: there is nothing to export yet.");
    return;
  }
  const name = conversation.title.replace(/[^\p{L}\p{N}]+/gu, "-").replace(/^-|-$/g, "").slice(0, 60) || "chat";
  download(`${name}.md`, "text/markdown", conversationMarkdown(conversation));
  announce("Conversation exported as Markdown.");
}

/** Read an export file and take its conversations in. */
export async function importFile(file) {
  if (file.size > MAX_IMPORT_BYTES) {
    showNotice(`${file.name} is too large to be an export of this page.`);
    return;
  }
  let data = null;
  try {
    data = JSON.parse(await file.text());
  } catch {
    data = null;
  }
  if (!data || data.format !== FORMAT || !Array.isArray(data.conversations)) {
    showNotice(`${file.name} is not an export of this page (a JSON file from “Export all”).`);
    return;
  }
  const conversations = cleanImported(data.conversations);
  const count = await addConversations(conversations);
  announce(`Imported ${count} conversation${count === 1 ? "" : "s"}.`);
  showNotice(`Imported ${count} conversation${count === 1 ? "" : "s"}.`);
}

