// Following a streaming answer down the page, and letting go of it.
//
// The page keeps the newest text in view only while the reader has not
// scrolled up. Any upward scroll the reader makes (a wheel notch, a finger
// pulling the page down, PageUp/ArrowUp/Home, dragging the scroll bar) stops
// following at once; scrolling back down to the end, or the "Jump to latest"
// button, starts it again. The page's own scrolling never counts as the
// reader's, and growing text never does either.

const AT_END_PX = 8; // how close to the end counts as "at the end"
const UP_KEYS = new Set(["PageUp", "ArrowUp", "Home"]);

export class Follower {
  /**
   * @param {HTMLElement} scroller the scrolling conversation
   * @param {HTMLButtonElement} jump the "Jump to latest" button
   * @param {HTMLElement} content what scrolls: when its size changes otherwise than by an
   *   update (a picture loads, an answer off screen is laid out), following keeps the end
   */
  constructor(scroller, jump, content) {
    this.scroller = scroller;
    this.jump = jump;
    this.following = true;
    this.lastTop = scroller.scrollTop;
    this.dragging = false;
    this.touchY = null;
    const passive = { passive: true };
    scroller.addEventListener("wheel", (event) => {
      if (event.deltaY < 0) this.letGo();
    }, passive);
    scroller.addEventListener("touchstart", (event) => {
      this.touchY = event.touches[0]?.clientY ?? null;
    }, passive);
    scroller.addEventListener("touchmove", (event) => {
      const y = event.touches[0]?.clientY;
      // A finger moving down drags the page's content down: an upward scroll.
      if (this.touchY !== null && y !== undefined && y > this.touchY + 2) this.letGo();
      if (y !== undefined) this.touchY = y;
    }, passive);
    scroller.addEventListener("keydown", (event) => {
      if (UP_KEYS.has(event.key) || (event.key === " " && event.shiftKey)) this.letGo();
    });
    scroller.addEventListener("pointerdown", (event) => {
      // A press on the scroller itself, not on a message, is a press on its scroll bar.
      if (event.target === scroller) this.dragging = true;
    });
    window.addEventListener("pointerup", () => {
      this.dragging = false;
    });
    scroller.addEventListener("scroll", () => this.onScroll(), passive);
    jump.addEventListener("click", () => {
      this.toEnd();
      jump.blur();
    });
    new ResizeObserver(() => this.follow()).observe(content);
  }

  distance() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight;
  }

  onScroll() {
    const top = this.scroller.scrollTop;
    if (top < this.lastTop - 1 && this.dragging) this.letGo();
    else if (top > this.lastTop && this.distance() <= AT_END_PX) this.following = true;
    this.lastTop = top;
    this.showJump();
  }

  letGo() {
    this.following = false;
    this.showJump();
  }

  /** Scroll to the end and follow again. */
  toEnd() {
    this.following = true;
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.lastTop = this.scroller.scrollTop;
    this.showJump();
  }

  /** After the content grew: keep the end in view when following. */
  follow() {
    if (this.following) this.toEnd();
    else this.showJump();
  }

  showJump() {
    this.jump.hidden = this.following || this.distance() <= AT_END_PX;
  }
}
