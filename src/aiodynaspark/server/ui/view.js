// The conversation view: one <li> per message, rebuilt from the message
// object when it changes; streamed text is re-rendered at most once a frame.
// Model text goes through renderMarkdown (DOM nodes, never HTML strings);
// the user's own text is shown as plain text.

import { el, icon, iconButton, ICONS } from "./dom.js";
import { renderMarkdown } from "./markdown.js";

export class ConversationView {
  /**
   * @param {{list: HTMLElement, scroller: HTMLElement, empty: HTMLElement}} parts
   * @param {{retry: Function, play: Function, copy: Function|null}} actions callbacks of a message's buttons
   */
  constructor({ list, scroller, empty }, actions) {
    this.list = list;
    this.scroller = scroller;
    this.empty = empty;
    this.actions = actions;
    this.messages = [];
    this.nodes = new Map(); // message id -> <li>
    this.dirty = new Set();
    this.scheduled = false;
    this.renderMs = 0; // how long the last text render took
    // Follow new text only while the reader is at the bottom; scrolling up stops it.
    this.following = true;
    scroller.addEventListener("scroll", () => {
      this.following = this.nearBottom();
    }, { passive: true });
  }

  /** Show a whole conversation (at start, after "New chat"). */
  show(messages) {
    this.messages = messages;
    this.nodes.clear();
    this.dirty.clear();
    this.list.replaceChildren();
    for (const message of messages) this.update(message);
    this.empty.hidden = messages.length > 0;
    this.scrollToBottom();
  }

  /** Rebuild one message's element, or add it at the end. */
  update(message) {
    // An answer that ends after "New chat" has nowhere to go.
    if (!this.messages.includes(message)) return;
    const fresh = this.build(message);
    const old = this.nodes.get(message.id);
    if (old?.isConnected) old.replaceWith(fresh);
    else this.list.append(fresh);
    this.nodes.set(message.id, fresh);
    this.empty.hidden = this.messages.length > 0;
    this.follow();
  }

  /**
   * Re-render a streaming message's text on the next frame, or later when
   * rendering is slow (a very long answer): the page stays responsive.
   */
  updateText(message) {
    this.dirty.add(message);
    if (this.scheduled) return;
    this.scheduled = true;
    const frame = () => requestAnimationFrame(() => this.flush());
    const pause = Math.min(1000, this.renderMs * 3);
    if (pause > 16) setTimeout(frame, pause);
    else frame();
  }

  /** Drop a pending text update (the message is about to be rebuilt whole). */
  forget(message) {
    this.dirty.delete(message);
  }

  flush() {
    this.scheduled = false;
    const started = performance.now();
    for (const message of this.dirty) {
      const li = this.nodes.get(message.id);
      const body = li?.querySelector(".msg-text");
      if (!this.messages.includes(message)) continue;
      if (!li || !body) {
        this.update(message);
        continue;
      }
      li.dataset.status = message.status;
      body.replaceChildren(renderMarkdown(message.text));
    }
    this.dirty.clear();
    this.renderMs = performance.now() - started;
    this.follow();
  }

  nearBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 120;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.following = true;
  }

  follow() {
    if (this.following) this.scrollToBottom();
  }

  picture(className, src, alt) {
    const img = el("img", className);
    img.alt = alt;
    img.decoding = "async";
    // A picture grows the page when it has loaded: keep the newest message in view.
    img.addEventListener("load", () => this.follow(), { once: true });
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
    bubble.append(el("div", "msg-text plain", message.text));
  }

  buildAnswer(message, bubble) {
    const label = message.kind === "image" ? [message.model, "image"].filter(Boolean).join(" · ") : message.model;
    if (label) bubble.append(el("div", "msg-meta", label));
    const body = el("div", "msg-text markdown");
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
    } else {
      body.append(renderMarkdown(message.text));
    }
    if (body.childNodes.length) bubble.append(body);
    if (message.status === "error") bubble.append(this.buildError(message));
    const actions = this.buildActions(message, bubble);
    if (actions.childElementCount) bubble.append(actions);
  }

  buildError(message) {
    const box = el("div", "msg-error");
    box.setAttribute("role", "alert");
    const words = el("p", "msg-error-text");
    words.append(el("strong", "msg-error-title", message.error?.title || "Error."));
    words.append(" ", el("span", "msg-error-detail", message.error?.detail || ""));
    const retry = iconButton("retry-button", "Retry", ICONS.retry, "Retry");
    retry.addEventListener("click", () => this.actions.retry(message));
    box.append(words, retry);
    return box;
  }

  buildActions(message, bubble) {
    const actions = el("div", "msg-actions");
    if (message.status === "stopped") actions.append(el("span", "badge", "Stopped"));
    const finished = message.status === "done" || message.status === "stopped";
    if (finished && message.kind === "chat" && message.text.trim()) {
      const play = iconButton("action-button play-button", "Read this answer aloud", ICONS.play, "Play");
      play.addEventListener("click", () => this.actions.play(message, play, bubble));
      actions.append(play);
      if (this.actions.copy) {
        const copy = iconButton("action-button", "Copy this answer", ICONS.copy, "Copy");
        copy.addEventListener("click", () => this.actions.copy(message));
        actions.append(copy);
      }
    }
    return actions;
  }
}
