// Syntax highlighting (highlight.js) and math (KaTeX), loaded only when an
// answer has a fenced code block in a known language or math: a page that
// never shows them never fetches them. Both come from this origin (vendored
// beside this file, their licences with them), and neither builds HTML from a
// string: highlight.js's token tree is turned into spans here, with the code as
// text nodes, and KaTeX builds its elements itself (sizes through the CSSOM).
//
// The work is done in slices of a few milliseconds, so a conversation of many
// answers opens without one long task.

import { el } from "./dom.js";

// highlight.js grammar file -> the fence names that ask for it.
const GRAMMARS = {
  python: ["python", "py", "python3"],
  javascript: ["javascript", "js", "jsx", "mjs", "node"],
  typescript: ["typescript", "ts", "tsx"],
  bash: ["bash", "sh", "shell", "zsh", "console"],
  json: ["json", "jsonc"],
  xml: ["html", "xml", "svg", "xhtml"],
  css: ["css"],
  sql: ["sql", "postgresql", "mysql", "sqlite"],
  c: ["c", "h"],
  cpp: ["cpp", "c++", "cc", "hpp", "cxx"],
  java: ["java"],
  go: ["go", "golang"],
  rust: ["rust", "rs"],
  yaml: ["yaml", "yml"],
  diff: ["diff", "patch"],
  csharp: ["csharp", "cs", "c#"],
};
const GRAMMAR_OF = new Map(Object.entries(GRAMMARS).flatMap(([file, names]) => names.map((n) => [n, file])));
// Longer code is left plain: highlighting it would cost more than it helps.
const MAX_HIGHLIGHT_CHARS = 100_000;
// KaTeX's guards against a hostile formula: macro expansion and sizes bounded, no \href.
const KATEX_OPTIONS = { throwOnError: false, trust: false, strict: "ignore", maxExpand: 1000, maxSize: 50 };
const SLICE_MS = 8;

let core = null;
const grammars = new Map(); // file -> Promise of registration
let katex = null;
const queue = [];
let draining = false;

function loadCore() {
  core ??= import("/ui/hljs-core.min.js").then((module) => module.default);
  return core;
}

function loadGrammar(file) {
  if (!grammars.has(file)) {
    grammars.set(file, Promise.all([loadCore(), import(`/ui/hljs-${file}.min.js`)]).then(([hljs, module]) => {
      hljs.registerLanguage(file, module.default);
      return hljs;
    }));
  }
  return grammars.get(file);
}

function loadKatex() {
  if (!katex) {
    const sheet = el("link");
    sheet.rel = "stylesheet";
    sheet.href = "/ui/katex.min.css";
    document.head.append(sheet);
    katex = import("/ui/katex.min.js").then(() => globalThis.katex);
  }
  return katex;
}

/** highlight.js's token tree as DOM nodes: spans with its classes, text as text nodes. */
function tokensToNodes(node) {
  const out = [];
  for (const child of node.children) {
    if (typeof child === "string") {
      out.push(document.createTextNode(child));
      continue;
    }
    const span = el("span");
    const scope = child.scope ?? "";
    if (scope.startsWith("language:")) span.className = `language-${scope.slice(9)}`;
    else if (scope) {
      const [first, ...rest] = scope.split(".");
      span.className = [`hljs-${first}`, ...rest.map((part, at) => `${part}${"_".repeat(at + 1)}`)].join(" ");
    }
    span.append(...tokensToNodes(child));
    out.push(span);
  }
  return out;
}

function highlight(hljs, code, file) {
  if (code.classList.contains("hljs")) return;
  const text = code.textContent;
  const result = hljs.highlight(text, { language: file, ignoreIllegals: true });
  // The tree carries exactly the text: if it ever did not, the code stays as it was.
  const nodes = tokensToNodes(result._emitter.rootNode);
  if (nodes.map((node) => node.textContent).join("") !== text) return;
  code.replaceChildren(...nodes);
  code.classList.add("hljs");
}

function typeset(kat, box) {
  if (box.classList.contains("typeset")) return;
  kat.render(box.textContent, box, { ...KATEX_OPTIONS, displayMode: box.classList.contains("math-display") });
  box.classList.add("typeset");
}

// Run queued work a slice at a time, yielding to the page between slices.
function drain() {
  if (draining) return;
  draining = true;
  const step = () => {
    const until = performance.now() + SLICE_MS;
    while (queue.length && performance.now() < until) queue.shift()();
    if (queue.length) setTimeout(step, 0);
    else draining = false;
  };
  setTimeout(step, 0);
}

function later(load, work) {
  load.then((library) => {
    queue.push(() => work(library));
    drain();
  }, () => {}); // not loaded (offline, blocked): the code and the formula stay as text
}

/**
 * Highlight the code and typeset the math in rendered blocks, once the libraries they
 * need are in. Safe to call on blocks that have neither (nothing is loaded then).
 * @param {Iterable<Node>} nodes blocks of an answer
 */
export function enhance(nodes) {
  for (const node of nodes) {
    if (node.nodeType !== Node.ELEMENT_NODE) continue;
    for (const code of node.querySelectorAll("pre > code[class^='language-']")) {
      const file = GRAMMAR_OF.get(code.className.slice("language-".length).toLowerCase());
      if (file && code.textContent.length <= MAX_HIGHLIGHT_CHARS) later(loadGrammar(file), (hljs) => highlight(hljs, code, file));
    }
    const maths = node.matches(".math") ? [node] : node.querySelectorAll(".math");
    for (const box of maths) later(loadKatex(), (kat) => typeset(kat, box));
  }
}
