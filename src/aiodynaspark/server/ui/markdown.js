// A small Markdown renderer for untrusted model output: the block structure.
// Inline Markdown (emphasis, code spans, links) is markdown-inline.js.
//
// Safety rule: text from the model only ever reaches the page through
// document.createTextNode / textContent, and elements are made with
// document.createElement from a fixed list of tags. Nothing here assigns
// innerHTML, so HTML in the input (<script>, <img onerror>, ...) stays text.
// Link targets are parsed with URL() and kept only for http: and https:.
// Markdown images are never loaded (the page must not contact other origins):
// they become links to the picture.
//
// Supported: paragraphs with line breaks, headings, fenced and indented code
// blocks, block quotes, bullet and numbered lists (nested by indentation),
// horizontal rules, simple pipe tables; inline code, bold, italic,
// strikethrough, links, autolinks and bare http(s) URLs, backslash escapes.

import { el } from "./dom.js";
import { MAX_DEPTH, renderInline } from "./markdown-inline.js";

export { renderInline, safeHref } from "./markdown-inline.js";

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const LIST_ITEM = /^( *)([-*+]|\d{1,9}[.)])(?:\s+(.*)|\s*$)/;
const TABLE_DIVIDER = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;
// Display math: $$ ... $$ or \[ ... \], on lines of their own (or on one line).
const MATH_OPEN = /^ {0,3}(\$\$|\\\[)(.*)$/;

function isBlank(line) {
  return /^\s*$/.test(line);
}

function startsBlock(line) {
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line)
    || LIST_ITEM.test(line) || MATH_OPEN.test(line);
}

// A display formula: its TeX as text, typeset later (enhance.js) when KaTeX is in.
function renderMath(lines, start) {
  const [, open, rest] = MATH_OPEN.exec(lines[start]);
  const close = open === "$$" ? "$$" : "\\]";
  const body = [];
  let i = start;
  let line = rest;
  for (;;) {
    const end = line.indexOf(close);
    if (end >= 0) {
      body.push(line.slice(0, end));
      i += 1;
      break;
    }
    body.push(line);
    i += 1;
    // An unclosed formula runs to the end: that is how a streamed one looks mid-way.
    if (i >= lines.length) break;
    line = lines[i];
  }
  const box = el("div", "math math-display", body.join("\n").trim());
  box.dir = "ltr";
  return [box, i];
}

function splitRow(line) {
  let row = line.trim();
  if (row.startsWith("|")) row = row.slice(1);
  if (row.endsWith("|") && !row.endsWith("\\|")) row = row.slice(0, -1);
  const cells = [];
  let cell = "";
  for (let i = 0; i < row.length; i++) {
    if (row[i] === "\\" && row[i + 1] === "|") {
      cell += "|";
      i++;
    } else if (row[i] === "|") {
      cells.push(cell.trim());
      cell = "";
    } else cell += row[i];
  }
  cells.push(cell.trim());
  return cells;
}

function renderTable(lines, depth) {
  const header = splitRow(lines[0]);
  const aligns = splitRow(lines[1]).map((spec) => {
    if (spec.startsWith(":") && spec.endsWith(":")) return "center";
    if (spec.endsWith(":")) return "right";
    return "";
  });
  const wrap = el("div", "md-table");
  const table = el("table");
  const thead = el("thead");
  const headRow = el("tr");
  header.forEach((text, n) => {
    const th = el("th", aligns[n] ? `align-${aligns[n]}` : "");
    th.append(...renderInline(text, depth + 1));
    headRow.append(th);
  });
  thead.append(headRow);
  const tbody = el("tbody");
  for (const line of lines.slice(2)) {
    const tr = el("tr");
    const cells = splitRow(line);
    header.forEach((_, n) => {
      const td = el("td", aligns[n] ? `align-${aligns[n]}` : "");
      td.append(...renderInline(cells[n] ?? "", depth + 1));
      tr.append(td);
    });
    tbody.append(tr);
  }
  table.append(thead, tbody);
  wrap.append(table);
  return wrap;
}

function renderList(lines, start, depth) {
  // Collect items of the list that starts at `start`, at the indentation of its first marker.
  const first = LIST_ITEM.exec(lines[start]);
  const indent = first[1].length;
  const ordered = /\d/.test(first[2]);
  const list = el(ordered ? "ol" : "ul");
  if (ordered) {
    const number = parseInt(first[2], 10);
    if (number !== 1) list.start = number;
  }
  let i = start;
  let loose = false;
  const items = [];
  while (i < lines.length) {
    const m = LIST_ITEM.exec(lines[i]);
    if (!m || m[1].length !== indent || /\d/.test(m[2]) !== ordered) break;
    const contentIndent = indent + m[2].length + 1;
    const body = [m[3] ?? ""];
    i += 1;
    while (i < lines.length) {
      const line = lines[i];
      if (isBlank(line)) {
        // A blank line continues the item only when indented content follows.
        const next = lines[i + 1];
        if (next !== undefined && /^\s*/.exec(next)[0].length >= contentIndent) {
          body.push("");
          loose = true;
          i += 1;
          continue;
        }
        break;
      }
      const lead = /^\s*/.exec(line)[0].length;
      if (lead >= contentIndent || (lead > indent && LIST_ITEM.test(line))) {
        body.push(line.slice(Math.min(lead, contentIndent)));
      } else if (lead <= indent && startsBlock(line)) {
        break;
      } else {
        body.push(line.trim()); // a lazy continuation line
      }
      i += 1;
    }
    items.push(body);
    if (i < lines.length && isBlank(lines[i])) {
      const next = LIST_ITEM.exec(lines[i + 1] ?? "");
      if (next && next[1].length === indent) {
        loose = true;
        i += 1;
      }
    }
  }
  for (const body of items) {
    const li = el("li");
    const blocks = renderBlocks(body, depth + 1);
    // Tight lists keep their text inline rather than in a paragraph.
    if (!loose && blocks.length && blocks[0].tagName === "P") {
      li.append(...blocks[0].childNodes, ...blocks.slice(1));
    } else {
      li.append(...blocks);
    }
    list.append(li);
  }
  return [list, i];
}

function renderCode(code, lang) {
  const pre = el("pre");
  const node = el("code");
  if (lang && /^[\w#+.-]{1,32}$/.test(lang)) {
    node.className = `language-${lang}`;
    pre.dataset.lang = lang;
  }
  node.textContent = code;
  pre.append(node);
  return pre;
}

/**
 * Render a list of Markdown lines into block elements.
 * @param {string[]} lines
 * @param {number} depth
 * @returns {HTMLElement[]}
 */
function renderBlocks(lines, depth) {
  const blocks = [];
  if (depth > MAX_DEPTH) {
    const p = el("p");
    p.textContent = lines.join("\n");
    return [p];
  }
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (isBlank(line)) {
      i += 1;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1];
      const body = [];
      i += 1;
      // An unclosed fence runs to the end: that is how a streamed block looks mid-way.
      while (i < lines.length && !new RegExp(`^ {0,3}${marker[0]}{${marker.length},}\\s*$`).test(lines[i])) {
        body.push(lines[i]);
        i += 1;
      }
      i += 1;
      blocks.push(renderCode(body.join("\n"), fence[2]));
      continue;
    }
    if (/^( {4}|\t)/.test(line)) {
      const body = [];
      while (i < lines.length && (/^( {4}|\t)/.test(lines[i]) || isBlank(lines[i]))) {
        body.push(lines[i].replace(/^( {4}|\t)/, ""));
        i += 1;
      }
      while (body.length && isBlank(body[body.length - 1])) body.pop();
      blocks.push(renderCode(body.join("\n"), ""));
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      const h = el(`h${heading[1].length}`);
      h.append(...renderInline(heading[2] ?? "", depth));
      blocks.push(h);
      i += 1;
      continue;
    }
    if (MATH_OPEN.test(line)) {
      const [box, next] = renderMath(lines, i);
      blocks.push(box);
      i = next;
      continue;
    }
    if (RULE.test(line)) {
      blocks.push(el("hr"));
      i += 1;
      continue;
    }
    if (QUOTE.test(line)) {
      const body = [];
      while (i < lines.length && !isBlank(lines[i])) {
        const m = QUOTE.exec(lines[i]);
        body.push(m ? m[1] : lines[i]);
        i += 1;
      }
      const quote = el("blockquote");
      quote.append(...renderBlocks(body, depth + 1));
      blocks.push(quote);
      continue;
    }
    if (LIST_ITEM.test(line)) {
      const [list, next] = renderList(lines, i, depth);
      blocks.push(list);
      i = next;
      continue;
    }
    if (line.includes("|") && i + 1 < lines.length && TABLE_DIVIDER.test(lines[i + 1])
        && lines[i + 1].includes("-")) {
      const rows = [line, lines[i + 1]];
      i += 2;
      while (i < lines.length && !isBlank(lines[i]) && lines[i].includes("|")) {
        rows.push(lines[i]);
        i += 1;
      }
      blocks.push(renderTable(rows, depth));
      continue;
    }
    const para = [line.trim()];
    i += 1;
    while (i < lines.length && !isBlank(lines[i]) && !startsBlock(lines[i])) {
      para.push(lines[i].trim());
      i += 1;
    }
    const p = el("p");
    p.append(...renderInline(para.join("\n"), depth));
    blocks.push(p);
  }
  return blocks;
}

/**
 * Render Markdown text into a DocumentFragment of safe DOM nodes.
 * @param {string} text untrusted Markdown
 * @returns {DocumentFragment}
 */
export function renderMarkdown(text) {
  const fragment = document.createDocumentFragment();
  const lines = String(text).replace(/\r\n?/g, "\n").split("\n");
  fragment.append(...renderBlocks(lines, 0));
  return fragment;
}
