// A small Markdown renderer for untrusted model output.
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

const MAX_DEPTH = 8; // nesting of quotes/lists/emphasis; deeper input is shown as text
// How far a closing bracket or emphasis marker is looked for: keeps hostile
// input (thousands of '[' or '*') linear instead of quadratic.
const SEARCH_WINDOW = 1000;

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const LIST_ITEM = /^( *)([-*+]|\d{1,9}[.)])(?:\s+(.*)|\s*$)/;
const TABLE_DIVIDER = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;
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

function el(tag, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
}

function makeLink(href, children) {
  const a = el("a");
  a.href = href;
  a.rel = "noopener noreferrer nofollow";
  a.target = "_blank";
  for (const child of children) a.append(child);
  return a;
}

// ---------------------------------------------------------------- inline

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

// ---------------------------------------------------------------- blocks

function isBlank(line) {
  return /^\s*$/.test(line);
}

function startsBlock(line) {
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line)
    || LIST_ITEM.test(line);
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
