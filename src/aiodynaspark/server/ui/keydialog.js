// The dialog that asks for the gateway's API key when a /v1 call answers 401.
// The key itself is kept by api.js, in sessionStorage (this tab only).

/**
 * Build the function api.js calls to ask for a key.
 * @param {{dialog: HTMLDialogElement, form: HTMLFormElement, input: HTMLInputElement,
 *          reason: HTMLElement, cancel: HTMLButtonElement}} parts
 * @returns {(why: "needed"|"refused") => Promise<string|null>} the key, or null when cancelled
 */
export function keyPrompt({ dialog, form, input, reason, cancel }) {
  return (why) => {
    reason.textContent = why === "refused"
      ? "The gateway refused that API key. Enter the key it was started with."
      : "This gateway asks for an API key (the one given to aiodynaspark serve --api-key).";
    input.value = "";
    return new Promise((resolve) => {
      const finish = (value) => {
        form.removeEventListener("submit", onSubmit);
        cancel.removeEventListener("click", onCancel);
        dialog.removeEventListener("cancel", onCancel);
        if (dialog.open) dialog.close();
        resolve(value);
      };
      const onSubmit = (event) => {
        // No navigation: the form only hands its value over (the CSP also sets form-action 'none').
        event.preventDefault();
        const value = input.value.trim();
        if (value) finish(value);
        else input.focus();
      };
      const onCancel = (event) => {
        event.preventDefault();
        finish(null);
      };
      form.addEventListener("submit", onSubmit);
      cancel.addEventListener("click", onCancel);
      dialog.addEventListener("cancel", onCancel); // Escape
      dialog.showModal();
      input.focus();
    });
  };
}
