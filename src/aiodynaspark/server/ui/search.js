// Searching the conversations: by title and by the text of every message, as
// the person types in the box above the list. A match in the text shows the
// words around it under the title.

const SNIPPET_CHARS = 36;

/** Lower-case text with accents folded, so "cafe" finds "Café". */
function folded(text) {
  return text.normalize("NFD").replace(/\p{Diacritic}/gu, "").toLowerCase();
}

/**
 * Where a conversation matches a search.
 * @param {object} conversation
 * @param {string} query as typed; blank matches everything
 * @returns {{snippet: string}|null} null when it does not match; the snippet is empty for a
 *   match in the title
 */
export function searchConversation(conversation, query) {
  const words = folded(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return { snippet: "" };
  const title = folded(conversation.title);
  if (words.every((word) => title.includes(word))) return { snippet: "" };
  for (const message of conversation.messages) {
    const text = folded(message.text);
    if (!words.every((word) => text.includes(word) || title.includes(word))) continue;
    const first = words.map((word) => text.indexOf(word)).filter((at) => at >= 0).sort((a, b) => a - b)[0] ?? 0;
    // Folding keeps the length of most text; the snippet is cut from the original.
    const start = Math.max(0, first - 10);
    const piece = message.text.slice(start, start + SNIPPET_CHARS * 2).replace(/\s+/g, " ").trim();
    return { snippet: `${start > 0 ? "…" : ""}${piece}…` };
  }
  return null;
}
