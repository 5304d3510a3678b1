// Inline Markdown for untrusted model output: code spans, bold, italic,
// strikethrough, links, autolinks and bare http(s) URLs, backslash escapes.
//
// Safety rule (see markdown.js): text reaches the page only through
// document.createTextNode / textContent, and elements are made with
// document.createElement. Link targets are parsed with URL() and kept only for
// http: and https:. Markdown images are never loaded (the page must not contact
// other origins): they become links to the picture.

import { el } from "./dom.js";

export const MAX_DEPTH = 8; // nesting of quotes/lists/emphasis; deeper input is shown as text
// How far a closing bracket or emphasis marker is looked for: keeps hostile
// input (thousands of '[' or '*') linear instead of quadratic.
const SEARCH_WINDOW = 1000;

const ESCAPABLE = "\\`*_{}[]()#+-.!|~<>\"'";
const BARE_URL = /^https?:\/\/[^\s<>"]+/;

/**
 * Keep a URL only when it is absolute http(s).
 * @param {string} raw
 * @returns {string | null} the normalised URL, or null when refused
 */
export function safeHref(raw) {
  let url;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
}

function makeLink(href, children) {
  const a = el("a");
  a.href = href;
  a.rel = "noopener noreferrer nofollow";
  a.target = "_blank";
  for (const child of children) a.append(child);
  return a;
}

function findClosing(text, from, marker) {
  // The closing marker must not follow whitespace (CommonMark's flanking rule, simplified).
  let i = from;
  const limit = from + SEARCH_WINDOW;
  while (i < text.length) {
    const at = text.indexOf(marker, i);
    if (at < 0 || at > limit) return -1;
    if (text[at - 1] === "\\") {
      i = at + 1;
      continue;
    }
    if (at > from && !/\s/.test(text[at - 1])) {
      // A single '*' must not be the start of a '**'.
      if (marker.length === 1 && text[at + 1] === marker) {
        i = at + 2;
        continue;
      }
      return at;
    }
    i = at + marker.length;
  }
  return -1;
}

function matchBracket(text, open) {
  let depth = 0;
  const end = Math.min(text.length, open + SEARCH_WINDOW);
  for (let i = open; i < end; i++) {
    const c = text[i];
    if (c === "\\") i++;
    else if (c === "[") depth++;
    else if (c === "]" && --depth === 0) return i;
  }
  return -1;
}

function matchParen(text, open) {
  let depth = 0;
  const end = Math.min(text.length, open + SEARCH_WINDOW);
  for (let i = open; i < end; i++) {
    const c = text[i];
    if (c === "\\") i++;
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
    else if (c === "\n") return -1;
  }
  return -1;
}

function trimUrl(url) {
  // Trailing punctuation belongs to the sentence, not the URL; a ')' stays
  // only when it closes a '(' inside the URL.
  let end = url.length;
  while (end > 0) {
    const c = url[end - 1];
    if (".,;:!?'\"*_~".includes(c)) end--;
    else if (c === ")") {
      const opens = url.slice(0, end).split("(").length - 1;
      const closes = url.slice(0, end).split(")").length - 1;
      if (closes > opens) end--;
      else break;
    } else break;
  }
  return url.slice(0, end);
}

// Inline math: its TeX as text, typeset later (enhance.js) when KaTeX is in.
function mathSpan(tex, display) {
  const span = el("span", display ? "math math-display" : "math math-inline", tex.trim());
  span.dir = "ltr";
  return span;
}

// $...$ as Pandoc reads it, so prices stay prices ("$5 and $10"): the opening $ has a
// non-space after it, the closing one a non-space before it and no digit after it.
// $$...$$ inside a line is display math.
function dollarMath(text, at) {
  if (text[at + 1] === "$") {
    const close = text.slice(at + 2, at + SEARCH_WINDOW).indexOf("$$");
    return close > 0 ? { tex: text.slice(at + 2, at + 2 + close), display: true, end: at + close + 4 } : null;
  }
  if (!text[at + 1] || /\s/.test(text[at + 1]) || text[at - 1] === "\\") return null;
  const limit = Math.min(text.length, at + SEARCH_WINDOW);
  for (let close = at + 2; close < limit; close++) {
    const c = text[close];
    if (c === "\n" && text[close + 1] === "\n") return null;
    if (c === "\\") {
      close += 1;
      continue;
    }
    if (c === "$") {
      if (/\s/.test(text[close - 1]) || /\d/.test(text[close + 1] ?? "")) continue;
      return { tex: text.slice(at + 1, close), display: false, end: close + 1 };
    }
  }
  return null;
}

/**
 * Render inline Markdown into an array of DOM nodes.
 * @param {string} text
 * @param {number} depth
 * @param {boolean} inLink links are not nested
 * @returns {Node[]}
 */
export function renderInline(text, depth = 0, inLink = false) {
  const out = [];
  let buffer = "";
  const flush = () => {
    if (buffer) out.push(document.createTextNode(buffer));
    buffer = "";
  };
  const emit = (node) => {
    flush();
    out.push(node);
  };
  if (depth > MAX_DEPTH) return [document.createTextNode(text)];

  let i = 0;
  while (i < text.length) {
    const c = text[i];

    if (c === "\\" && text[i + 1] === "(" && !inLink) {
      const close = text.slice(i + 2, i + SEARCH_WINDOW).indexOf("\\)");
      if (close >= 0) {
        emit(mathSpan(text.slice(i + 2, i + 2 + close), false));
        i += close + 4;
        continue;
      }
    }
    if (c === "$" && !inLink) {
      const found = dollarMath(text, i);
      if (found) {
        emit(mathSpan(found.tex, found.display));
        i = found.end;
        continue;
      }
    }
    if (c === "\\" && i + 1 < text.length && ESCAPABLE.includes(text[i + 1])) {
      buffer += text[i + 1];
      i += 2;
      continue;
    }
    if (c === "\n") {
      emit(el("br"));
      i += 1;
      continue;
    }
    if (c === "`") {
      const run = /^`+/.exec(text.slice(i, i + SEARCH_WINDOW))[0];
      const close = text.indexOf(run, i + run.length);
      if (close > 0) {
        const code = el("code");
        let inner = text.slice(i + run.length, close).replace(/\n/g, " ");
        if (/^ .* $/.test(inner)) inner = inner.slice(1, -1);
        code.textContent = inner;
        emit(code);
        i = close + run.length;
        continue;
      }
      buffer += run;
      i += run.length;
      continue;
    }
    if (!inLink && (c === "[" || (c === "!" && text[i + 1] === "["))) {
      const open = c === "!" ? i + 1 : i;
      const close = matchBracket(text, open);
      if (close > 0 && text[close + 1] === "(") {
        const end = matchParen(text, close + 1);
        if (end > 0) {
          const label = text.slice(open + 1, close);
          const target = text.slice(close + 2, end).trim().split(/\s+/)[0].replace(/^<|>$/g, "");
          const href = safeHref(target);
          if (href) {
            // An image is shown as a link: loading it would contact another origin.
            const children = c === "!"
              ? [document.createTextNode(label ? `🖼 ${label}` : "🖼 image")]
              : renderInline(label, depth + 1, true);
            emit(makeLink(href, children));
          } else {
            // A refused scheme (javascript:, data:, relative...) keeps only its label.
            flush();
            out.push(...renderInline(label, depth + 1, true));
          }
          i = end + 1;
          continue;
        }
      }
    }
    if (!inLink && c === "<") {
      const auto = /^<(https?:\/\/[^\s<>]+)>/.exec(text.slice(i, i + SEARCH_WINDOW));
      if (auto && safeHref(auto[1])) {
        emit(makeLink(safeHref(auto[1]), [document.createTextNode(auto[1])]));
        i += auto[0].length;
        continue;
      }
    }
    if (!inLink && c === "h" && !/[\w/]/.test(text[i - 1] || "")) {
      const bare = BARE_URL.exec(text.slice(i, i + SEARCH_WINDOW));
      if (bare) {
        const url = trimUrl(bare[0]);
        const href = safeHref(url);
        if (href && url.length > "https://".length) {
          emit(makeLink(href, [document.createTextNode(url)]));
          i += url.length;
          continue;
        }
      }
    }
    if (c === "*" || c === "_" || c === "~") {
      const double = text[i + 1] === c;
      const marker = double ? c + c : c;
      const before = text[i - 1] || " ";
      const after = text[i + marker.length] || " ";
      // '_' inside a word (snake_case) is not emphasis; '~' needs two.
      const canOpen = !/\s/.test(after) && !(c === "_" && /\w/.test(before)) && (c !== "~" || double);
      if (canOpen) {
        const close = findClosing(text, i + marker.length, marker);
        const afterClose = text[close + marker.length] || " ";
        if (close > 0 && !(c === "_" && /\w/.test(afterClose))) {
          const tag = c === "~" ? "del" : double ? "strong" : "em";
          const node = el(tag);
          node.append(...renderInline(text.slice(i + marker.length, close), depth + 1, inLink));
          emit(node);
          i = close + marker.length;
          continue;
        }
      }
      buffer += marker;
      i += marker.length;
      continue;
    }
    buffer += c;
    i += 1;
  }
  flush();
  return out;
}
