// The conversation view: one <li> per message, rebuilt from the message
// object when its state changes. A streaming answer is not rebuilt: its
// finished blocks stay, and only the unfinished tail is redrawn, at most once
// a frame (answer-render.js). Model text goes through the Markdown renderer
// (DOM nodes, never HTML strings); the user's own text is shown as plain text.

import { StreamingBody } from "./answer-render.js";
import { el, icon, iconButton, ICONS } from "./dom.js";
import { Follower } from "./follow.js";

// Text updates leave the main thread free this many times as long as they take.
const UPDATE_SPACING = 4;
// ...but show new text at least this often.
const MAX_UPDATE_WAIT_MS = 1000;
// Opening a conversation draws its messages a slice at a time: about this long, and at
// most this many messages (a long answer alone can fill a slice).
const SHOW_SLICE_MS = 12;
const SHOW_SLICE_MESSAGES = 6;

export class ConversationView {
  /**
   * @param {{list: HTMLElement, scroller: HTMLElement, empty: HTMLElement, jump: HTMLButtonElement}} parts
   * @param {object} actions callbacks of the messages' buttons, each given the message
   */
  constructor({ list, scroller, empty, jump }, actions) {
    this.list = list;
    this.empty = empty;
    this.actions = actions;
    this.messages = [];
    this.nodes = new Map(); // message id -> <li>
    this.bodies = new Map(); // message id -> StreamingBody of a chat answer
    this.dirty = new Set();
    this.scheduled = false;
    this.lastCost = 0; // ms the last text update took, layout included
    this.lastEnd = 0;
    this.keepInPlace = false;
    this.unbuilt = 0; // messages before this index are not drawn yet (a conversation opening)
    this.showing = 0; // counts show() calls: a slice of an older one stops
    this.follower = new Follower(scroller, jump, list);
    list.addEventListener("click", (event) => {
      const button = event.target.closest?.(".code-copy");
      if (button) this.actions.copyCode(button);
    });
  }

  /**
   * Show a whole conversation (at start, on "New chat", on picking another). The newest
   * messages are drawn first, so the end is on screen at once; older ones go in above
   * them a slice at a time, so a long conversation opens without one long task.
   */
  show(messages) {
    this.messages = messages;
    this.nodes.clear();
    this.bodies.clear();
    this.dirty.clear();
    this.list.replaceChildren();
    this.empty.hidden = messages.length > 0;
    this.unbuilt = messages.length;
    const showing = ++this.showing;
    const slice = () => {
      if (showing !== this.showing || this.messages !== messages) return;
      const until = performance.now() + SHOW_SLICE_MS;
      const built = [];
      do {
        this.unbuilt -= 1;
        const message = messages[this.unbuilt];
        const li = this.build(message);
        li.classList.add("settled");
        this.nodes.set(message.id, li);
        built.unshift(li);
      } while (this.unbuilt > 0 && performance.now() < until && built.length < SHOW_SLICE_MESSAGES);
      this.list.prepend(...built);
      this.follower.follow();
      if (this.unbuilt > 0) setTimeout(slice, 0);
    };
    if (messages.length) slice();
    this.scrollToBottom();
  }

  /** Rebuild one message's element, or add it at the end. */
  update(message) {
    // An answer that ends after "New chat" has nowhere to go.
    const index = this.messages.indexOf(message);
    if (index < 0) return;
    // Not drawn yet (an opening conversation): it is drawn as it is when its turn comes.
    if (index < this.unbuilt) return;
    this.dirty.delete(message);
    const old = this.nodes.get(message.id);
    const kept = this.bodies.get(message.id)?.element;
    // A long answer's body stays where it is: moving it would lay the whole answer out again.
    this.keepInPlace = Boolean(old?.isConnected && kept && old.contains(kept));
    const fresh = this.build(message);
    const placeholder = this.keepInPlace ? fresh.querySelector(".body-placeholder") : null;
    this.keepInPlace = false;
    if (placeholder) {
      old.dataset.status = fresh.dataset.status;
      const bubble = kept.parentNode;
      for (const child of [...bubble.childNodes]) if (child !== kept) child.remove();
      const parts = [...placeholder.parentNode.childNodes];
      const at = parts.indexOf(placeholder);
      kept.before(...parts.slice(0, at));
      kept.after(...parts.slice(at + 1));
    } else if (old?.isConnected) {
      old.replaceWith(fresh);
      this.nodes.set(message.id, fresh);
    } else {
      this.list.append(fresh);
      this.nodes.set(message.id, fresh);
    }
    this.empty.hidden = this.messages.length > 0;
    this.follower.follow();
  }

  /** Rebuild every message (which one is last, and so gets Regenerate, may have changed). */
  refreshActions() {
    for (const message of this.messages) {
      if (!this.dirty.has(message)) this.update(message);
    }
  }

  /**
   * Show a streaming message's new text on a coming frame. Updates are spaced
   * by a multiple of what the last one cost, layout included, so rendering
   * takes a bounded share of the main thread however slow the device is.
   */
  updateText(message) {
    this.dirty.add(message);
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = this.lastCost * UPDATE_SPACING - (performance.now() - this.lastEnd);
    const frame = () => requestAnimationFrame(() => this.flush());
    if (wait > 16) setTimeout(frame, Math.min(wait, MAX_UPDATE_WAIT_MS));
    else frame();
  }

  flush() {
    this.scheduled = false;
    const started = performance.now();
    for (const message of this.dirty) {
      if (!this.messages.includes(message)) continue;
      const li = this.nodes.get(message.id);
      const body = this.bodies.get(message.id);
      if (!li || !body) {
        this.update(message);
        continue;
      }
      li.dataset.status = message.status;
      body.render(message.text);
    }
    this.dirty.clear();
    // Following reads the new height, so the layout the update caused is counted in its cost.
    this.follower.follow();
    this.lastEnd = performance.now();
    this.lastCost = this.lastEnd - started;
  }

  scrollToBottom() {
    this.follower.toEnd();
  }

  isLast(message) {
    return this.messages[this.messages.length - 1] === message;
  }

  picture(className, src, alt) {
    const img = el("img", className);
    img.alt = alt;
    img.decoding = "async";
    // A picture grows the page when it has loaded: keep the newest message in view.
    img.addEventListener("load", () => this.follower.follow(), { once: true });
    img.src = src;
    return img;
  }

  build(message) {
    const li = el("li", `msg msg-${message.role}`);
    li.dataset.id = message.id;
    li.dataset.role = message.role;
    li.dataset.status = message.status;
    const bubble = el("div", "bubble");
    li.append(bubble);
    if (message.role === "user") {
      this.buildQuestion(message, bubble);
      return li;
    }
    const avatar = el("div", "avatar");
    avatar.setAttribute("aria-hidden", "true");
    avatar.append(icon(ICONS.spark));
    li.prepend(avatar);
    this.buildAnswer(message, bubble);
    return li;
  }

  buildQuestion(message, bubble) {
    if (message.image) {
      const alt = message.imageName ? `Attached image ${message.imageName}` : "Attached image";
      bubble.append(this.picture("msg-image", message.image, alt));
    } else if (message.imageDropped) {
      bubble.append(el("p", "hint", "(image not kept: browser storage was full)"));
    }
    if (message.kind === "image") bubble.append(el("span", "msg-tag", "Image prompt"));
    const text = el("div", "msg-text plain", message.text);
    text.dir = "auto";
    bubble.append(text);
    const actions = el("div", "msg-actions");
    const edit = iconButton("action-button edit-button", "Edit", ICONS.edit, "Edit");
    edit.title = "Edit this question and send it again";
    edit.addEventListener("click", () => this.editQuestion(message, bubble));
    const pager = this.versionPager(message);
    if (pager) actions.append(pager);
    actions.append(edit);
    bubble.append(actions);
  }

  /** "‹ 2/3 ›": the versions an edit or Regenerate kept, to go back and forth between. */
  versionPager(message) {
    const count = message.versions?.length ?? 0;
    if (count < 2) return null;
    const pager = el("span", "versions");
    pager.setAttribute("role", "group");
    const whose = message.role === "user" ? "question" : "answer";
    pager.setAttribute("aria-label", `Versions of this ${whose}`);
    const at = message.shown;
    const step = (label, arrow, to) => {
      const button = el("button", "action-button version-button", arrow);
      button.type = "button";
      button.setAttribute("aria-label", label);
      button.title = label;
      button.disabled = to < 0 || to >= count;
      button.addEventListener("click", () => this.actions.showVersion(message, to));
      return button;
    };
    pager.append(step("Previous version", "‹", at - 1), el("span", "version-count", `${at + 1}/${count}`),
      step("Next version", "›", at + 1));
    return pager;
  }

  editQuestion(message, bubble) {
    if (this.actions.isBusy()) return;
    const form = el("form", "edit-form");
    const box = el("textarea", "edit-box");
    box.value = message.text;
    box.dir = "auto";
    box.rows = Math.min(8, message.text.split("\n").length + 1);
    box.setAttribute("aria-label", "Edit your question");
    const send = el("button", "primary-button", "Send");
    send.type = "submit";
    const cancel = el("button", "text-button", "Cancel");
    cancel.type = "button";
    const row = el("div", "dialog-actions");
    row.append(cancel, send);
    form.append(box, row);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = box.value.trim();
      if (text) this.actions.resend(message, text);
    });
    cancel.addEventListener("click", () => this.update(message));
    box.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        this.update(message);
      } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    bubble.replaceChildren(form);
    box.focus();
  }

  answerBody(message) {
    const body = el("div", "msg-text markdown");
    if (message.kind === "image" || message.status === "pending") return body;
    // An answer keeps its element: finished blocks are never drawn twice.
    const kept = this.bodies.get(message.id);
    const same = kept && (kept.finished ? message.text === kept.text : message.text.startsWith(kept.text));
    const stream = same ? kept : new StreamingBody(body);
    this.bodies.set(message.id, stream);
    stream.render(message.text);
    if (message.status !== "streaming") stream.finish();
    return same && this.keepInPlace ? el("div", "body-placeholder") : stream.element;
  }

  buildAnswer(message, bubble) {
    const label = message.kind === "image" ? [message.model, "image"].filter(Boolean).join(" · ") : message.model;
    if (label) bubble.append(el("div", "msg-meta", label));
    const body = this.answerBody(message);
    if (message.kind === "image" && message.image) {
      const figure = el("figure", "generated");
      figure.append(this.picture("generated-image", message.image, `Generated image: ${message.prompt}`));
      if (message.text) figure.append(el("figcaption", "hint", message.text));
      body.append(figure);
    } else if (message.status === "pending") {
      const dots = el("span", "typing");
      dots.setAttribute("role", "img");
      dots.setAttribute("aria-label", "Waiting for the answer");
      dots.append(el("span"), el("span"), el("span"));
      body.append(dots);
      if (message.waking) body.append(el("p", "waking hint", "The service is waking up, this can take a minute."));
    }
    // A streaming answer's body is there from the start: text arrives into it.
    if (body.childNodes.length || message.status === "streaming" || body.className === "body-placeholder") {
      bubble.append(body);
    }
    if (message.status === "error") bubble.append(this.buildError(message));
    const actions = this.buildActions(message);
    if (actions.childElementCount) bubble.append(actions);
  }

  buildError(message) {
    const box = el("div", "msg-error");
    box.setAttribute("role", "alert");
    const words = el("p", "msg-error-text");
    words.append(el("strong", "msg-error-title", message.error?.title || "Something went wrong."));
    words.append(" ", el("span", "msg-error-detail", message.error?.detail || ""));
    box.append(words);
    if (message.error?.technical) {
      const details = el("details", "msg-error-more");
      details.append(el("summary", "", "Technical details"), el("code", "", message.error.technical));
      box.append(details);
    }
    if (message.retryIn) {
      box.append(el("p", "msg-error-countdown", `Retrying in ${message.retryIn} s…`));
    } else if (message.error?.kind === "too_long") {
      // Retry would only be refused again: offer what can work.
      const row = el("div", "msg-error-actions");
      const fresh = iconButton("retry-button", "Start a new chat", ICONS.continue, "New chat");
      fresh.addEventListener("click", () => this.actions.newChat());
      row.append(fresh);
      if (message.error.limit && this.isLast(message)) {
        const fit = iconButton("retry-button", "Send only the newest turns", ICONS.retry, "Send only the newest turns");
        fit.addEventListener("click", () => this.actions.fit(message));
        row.append(fit);
      }
      box.append(row);
    } else {
      const retry = iconButton("retry-button", "Retry", ICONS.retry, "Retry");
      retry.addEventListener("click", () => this.actions.retry(message));
      box.append(retry);
    }
    return box;
  }

  button(actions, className, label, path, text, handler) {
    const button = iconButton(`action-button ${className}`, label, path, text);
    button.addEventListener("click", handler);
    actions.append(button);
    return button;
  }

  buildActions(message) {
    const actions = el("div", "msg-actions");
    if (message.status === "stopped") actions.append(el("span", "badge", "Stopped"));
    const finished = message.status === "done" || message.status === "stopped";
    const last = this.isLast(message);
    if (finished && message.kind === "chat" && message.text.trim()) {
      const play = this.button(actions, "play-button", "Play: read this answer aloud", ICONS.play, "Play",
        () => this.actions.play(message, play, play.closest(".bubble")));
      this.button(actions, "copy-button", "Copy: copy this answer", ICONS.copy, "Copy",
        () => this.actions.copy(message));
    }

    if (finished && message.kind === "image" && message.image) {
      const download = el("a", "action-button download-link");
      download.href = message.image;
      download.download = `dynaspark-image.${message.image.slice(11, message.image.indexOf(";"))}`;
      download.append(icon(ICONS.download), el("span", "", "Download"));
      actions.append(download);
      this.button(actions, "view-button", "View full size", ICONS.expand, "View full size",
        () => this.actions.viewPicture(message));
    }
    if (last && message.status === "stopped" && message.kind === "chat") {
      this.button(actions, "continue-button", "Continue: continue this answer", ICONS.continue, "Continue",
        () => this.actions.continue(message));
    }
    const pager = message.kind === "chat" || message.kind === "image" ? this.versionPager(message) : null;
    if (pager) actions.prepend(pager);
    if (last && finished) {
      this.button(actions, "regenerate-button", "Regenerate: write this answer again", ICONS.retry, "Regenerate",
        () => this.actions.regenerate(message));
    }
    if (finished && Number.isSafeInteger(message.tokens)) {
      const tokens = el("span", "msg-tokens hint", `${message.tokens.toLocaleString("en")} tokens`);
      tokens.title = "Tokens in this answer, as the gateway counted them";
      actions.append(tokens);
    }
    return actions;
  }
}
