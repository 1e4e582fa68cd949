// paramtrack review: keyboard shortcuts and small comforts. Served from this server (CSP 'self').
(function () {
  "use strict";
  const rows = Array.from(document.querySelectorAll("[data-nav-row]"));
  let sel = rows.findIndex((r) => r.classList.contains("selected"));
  if (sel < 0 && rows.length) sel = 0;

  function select(i) {
    if (!rows.length) return;
    sel = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach((r, j) => r.classList.toggle("selected", j === sel));
    rows[sel].scrollIntoView({ block: "nearest" });
    const cid = rows[sel].dataset.candidate;
    if (cid) {  // paper page: corrections start from the selected candidate and its system
      const f = document.querySelector("[data-correct] input[name=candidate_id]");
      if (f) f.value = cid;
      const correct = document.querySelector("[data-correct]");
      const name = correct && correct.querySelector("[data-edit-system]");
      if (name && !name.dataset.typed) {
        name.value = rows[sel].dataset.system || "";
        showMatch(correct, rows[sel].dataset.matchIds || "-", rows[sel].dataset.matchText || "");
      }
    }
  }

  // The Epoch rows a value will supersede, shown (and sent back as "supersedes") before it is
  // saved; the server refuses to apply a different set without a confirmation page.
  function showMatch(form, ids, text) {
    const hidden = form.querySelector("[data-match-ids]");
    const shown = form.querySelector("[data-match-text]");
    if (hidden) hidden.value = ids;
    if (shown) shown.textContent = text;
  }
  function matchText(rows) {
    if (!rows.length) return "No Epoch row of this system: saving adds it as a system of its own.";
    return "Supersedes Epoch: " + rows.map((m) =>
      `${m.system} (${m.source_file} row ${m.source_row}, ${m.matched_on})`).join("; ");
  }
  document.querySelectorAll("[data-match-input]").forEach((input) => {
    const form = input.form;
    if (!form) return;
    let timer = null;
    let asked = 0;
    input.addEventListener("input", () => {
      input.dataset.typed = "1";
      const hidden = form.querySelector("[data-match-ids]");
      if (hidden) hidden.value = "unknown";  // until the answer: the server would ask to confirm
      clearTimeout(timer);
      timer = setTimeout(() => {
        const n = ++asked;
        // getAttribute: the form has an input named "action", which shadows form.action
        const url = form.getAttribute("action").replace(/\/decide$/, "/match") + "?system=" + encodeURIComponent(input.value);
        fetch(url, { credentials: "same-origin" }).then((r) => r.ok ? r.json() : null).then((data) => {
          if (data && n === asked) showMatch(form, data.ids, matchText(data.rows));
        }).catch(() => {});
      }, 200);
    });
  });
  rows.forEach((r, j) => r.addEventListener("click", (e) => {
    if (e.target.closest("a, button, input, select, form")) return;
    select(j);
  }));

  const help = document.getElementById("help");
  function toggleHelp(force) {
    if (!help) return;
    help.hidden = force === undefined ? !help.hidden : !force;
  }
  document.querySelectorAll("[data-help-toggle]").forEach((b) => b.addEventListener("click", () => toggleHelp()));
  if (help) help.addEventListener("click", (e) => { if (e.target === help) toggleHelp(false); });

  function focusIn(selector, sectionId) {
    const el = document.querySelector(selector);
    if (!el) return;
    const section = sectionId && document.getElementById(sectionId);
    if (section) {
      section.scrollIntoView({ block: "center" });
      section.classList.add("section-focus");
      setTimeout(() => section.classList.remove("section-focus"), 900);
    }
    el.focus();
  }

  // Reviewer name typed on the page travels with every decision form.
  const nameInputs = document.querySelectorAll("[data-reviewer-name], [data-reviewer-name-inline]");
  function currentName() {
    for (const i of nameInputs) if (i.value.trim()) return i.value.trim();
    return "";
  }
  document.querySelectorAll("form").forEach((form) => form.addEventListener("submit", (e) => {
    const copy = form.querySelector("[data-reviewer-copy]");
    if (copy) {
      copy.value = currentName();
      if (!copy.value) {
        e.preventDefault();
        alert("Enter your name first: every decision records its reviewer.");
        const first = nameInputs[0];
        if (first) first.focus();
        return;
      }
    }
    // No double submits from this page (the server also applies a request once).
    if (form.dataset.submitted) { e.preventDefault(); return; }
    form.dataset.submitted = "1";
    setTimeout(() => form.querySelectorAll("button").forEach((b) => (b.disabled = true)), 0);
  }));

  function submit(form) {
    if (!form) return;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  // Approve needs a system name: a candidate that names none asks for it in place (focus and
  // a hint) instead of sending a form the server would refuse.
  function approve(form) {
    if (!form) return;
    const name = form.querySelector("input[name=system]:not([type=hidden])");
    if (name && !name.value.trim()) {
      name.classList.add("asking");
      name.focus();
      name.setAttribute("placeholder", "name it, then Enter");
      return;
    }
    submit(form);
  }

  // Compact rows: a cookie the server reads when it renders (no flash of the roomy layout).
  function toggleCompact() {
    const on = !document.body.classList.contains("compact");
    document.body.classList.toggle("compact", on);
    document.cookie = "pt_view=" + (on ? "compact" : "comfortable") + "; path=/; max-age=15552000; SameSite=Strict";
    document.querySelectorAll("[data-compact-toggle]").forEach((b) => {
      b.setAttribute("aria-pressed", on ? "true" : "false");
      b.firstChild.textContent = on ? "Comfortable view " : "Compact view ";
    });
  }
  document.querySelectorAll("[data-compact-toggle]").forEach((b) => b.addEventListener("click", toggleCompact));

  // A refused form comes back with its input kept: put the cursor where it needs fixing.
  const errorField = document.querySelector("[data-error-focus]");
  if (errorField) {
    errorField.scrollIntoView({ block: "center" });
    errorField.focus();
  }

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) {
      if (e.key === "Escape") t.blur();
      return;
    }
    const row = rows[sel];
    const onPaper = !!document.querySelector("[data-correct]");
    switch (e.key) {
      case "j": select(sel + 1); break;
      case "k": select(sel - 1); break;
      case "Enter": case "o":
        if (!onPaper && row && row.dataset.href) window.location.href = row.dataset.href;
        else return;
        break;
      case "a": {
        const form = (row && row.querySelector("[data-approve]")) || document.querySelector("[data-approve]");
        approve(form);
        break;
      }
      case "z": {
        const undo = document.querySelector("[data-undo]");
        if (!undo) return;
        submit(undo);
        break;
      }
      case "c": if (document.querySelector("[data-compact-toggle]")) toggleCompact(); else return; break;
      case "e":
        if (onPaper) focusIn("[data-edit-first]", "edit");
        else if (row && row.dataset.href) window.location.href = row.dataset.href + "#edit";
        break;
      case "r":
        if (onPaper) focusIn("[data-reject-first]", "reject");
        else if (row && row.dataset.href) window.location.href = row.dataset.href + "#reject";
        break;
      case "s": if (onPaper) focusIn("[data-second-first]", "second"); break;
      case "n": if (onPaper) focusIn("[data-note-first]", "second"); break;
      case "u": if (onPaper) window.location.href = "/"; break;
      case "?": toggleHelp(); break;
      case "Escape": toggleHelp(false); break;
      default: return;
    }
    e.preventDefault();
  });

  // Arriving via "e"/"r" from the queue: focus that form.
  if (location.hash === "#edit") focusIn("[data-edit-first]", "edit");
  if (location.hash === "#reject") focusIn("[data-reject-first]", "reject");
})();
