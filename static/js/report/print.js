/* The printed report's one control: its print button (a script file, not an onclick attribute, so the
   page keeps to its Content-Security-Policy). */
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
