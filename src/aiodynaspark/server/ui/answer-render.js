// Rendering an answer's Markdown in pieces, so a streamed answer costs the
// same per update however long it has grown.
//
// An answer is cut into segments at blank lines that end a top-level block
// (outside a code fence, before a line that is not indented): a segment that
// has been followed by such a cut can no longer change, so it is rendered once
// and left alone; only the unfinished tail is rendered again as text arrives.
// A finished answer is drawn the same way, in one go, so a reload shows the
// same page as the stream did.
//
// Each top-level block gets dir="auto" (the browser lays it out right to left
// when it starts in Arabic or Hebrew), code stays left to right, and wide code
// and tables can be focused to scroll them with the keyboard. Text still
// reaches the page only through markdown.js (textContent).

import { el, icon, ICONS } from "./dom.js";
import { renderMarkdown } from "./markdown.js";

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})/;

/**
 * Find the cuts in the complete lines of `text` not scanned yet.
 * @param {string} text
 * @param {{pos: number, fence: string, blank: boolean}} scan kept between calls
 * @returns {number[]} the offsets of new cuts, in order: text before a cut is finished
 */
export function advanceCuts(text, scan) {
  const cuts = [];
  for (;;) {
    const end = text.indexOf("\n", scan.pos);
    if (end < 0) return cuts;
    const line = text.slice(scan.pos, end);
    const start = scan.pos;
    scan.pos = end + 1;
    if (scan.fence) {
      if (new RegExp(`^ {0,3}${scan.fence[0]}{${scan.fence.length},}\\s*$`).test(line)) scan.fence = "";
      scan.blank = false;
      continue;
    }
    const blank = /^\s*$/.test(line);
    // A block that starts at the margin after a blank line ends whatever came before.
    if (!blank && scan.blank && !/^\s/.test(line)) cuts.push(start);
    const fence = FENCE_OPEN.exec(line);
    if (fence) scan.fence = fence[1];
    scan.blank = blank;
  }
}

/** A fresh scan state for advanceCuts. */
export function newScan() {
  return { pos: 0, fence: "", blank: false };
}

function copyButton() {
  const button = el("button", "code-copy");
  button.type = "button";
  button.append(icon(ICONS.copy), el("span", "", "Copy"));
  button.setAttribute("aria-label", "Copy code");
  return button;
}

/** Give rendered blocks their direction, focusability and code toolbars. */
function decorate(fragment) {
  for (const block of [...fragment.children]) {
    if (block.tagName === "PRE") {
      const wrap = el("div", "code-block");
      const head = el("div", "code-head");
      head.append(el("span", "code-lang", block.dataset.lang || "code"), copyButton());
      block.replaceWith(wrap);
      wrap.append(head, block);
      block.dir = "ltr";
      block.tabIndex = 0;
      block.setAttribute("aria-label", `${block.dataset.lang || "Code"} block`);
    } else {
      block.dir = "auto";
      if (block.classList.contains("md-table")) {
        block.tabIndex = 0;
        block.setAttribute("role", "region");
        block.setAttribute("aria-label", "Table");
      }
    }
  }
  return fragment;
}

let enhancer = null;

// Highlighting and math (enhance.js, and the libraries it loads) come only with the first
// block that needs them: most first loads never fetch them.
function enhance(nodes) {
  const needs = nodes.some((node) => node.nodeType === Node.ELEMENT_NODE
    && (node.matches(".math") || node.querySelector("pre > code[class^='language-'], .math")));
  if (!needs) return;
  enhancer ??= import("./enhance.js");
  enhancer.then((module) => module.enhance(nodes), () => {});
}

/** Render a piece of Markdown into decorated blocks. */
export function renderPiece(text) {
  return decorate(renderMarkdown(text));
}

/** The body of an answer that is streaming: finished blocks stay, the tail is redrawn. */
export class StreamingBody {
  /** @param {HTMLElement} element the .msg-text container, empty */
  constructor(element) {
    this.element = element;
    this.scan = newScan();
    this.done = 0; // text before this offset is rendered and final
    this.tail = []; // the nodes of the unfinished tail
    this.text = "";
    this.finished = false;
  }

  /** Show `text`, which extends what was shown before. */
  render(text) {
    if (text === this.text || this.finished) return;
    for (const node of this.tail) node.remove();
    for (const cut of advanceCuts(text, this.scan)) {
      const piece = renderPiece(text.slice(this.done, cut));
      // A finished block gets its highlighting and math now; the unfinished end, when it is.
      enhance([...piece.childNodes]);
      this.element.append(piece);
      this.done = cut;
    }
    const tail = renderPiece(text.slice(this.done));
    this.tail = [...tail.childNodes];
    if (this.finishing) enhance(this.tail);
    this.element.append(tail);
    this.text = text;
    // The caret marks the end while the answer streams.
    this.caret?.classList.remove("stream-end");
    this.caret = this.finishing ? null : this.element.lastElementChild;
    this.caret?.classList.add("stream-end");
  }

  /** The answer is complete: its last line is finished too. */
  finish() {
    if (this.finished) return;
    const text = this.text;
    this.finishing = true;
    this.render(`${text}\n`);
    // The newline only closed the last line; the text shown is the answer's own.
    this.text = text;
    this.finished = true;
  }
}
