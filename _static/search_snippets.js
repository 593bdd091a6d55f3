/* Search result snippets that read as text (issue 24). Sphinx's search takes a result's snippet
   from the page's [role=main] textContent: on this theme that starts with the article header
   ("…title Contents…": the page-contents button) and runs a glossary term into its definition
   ("backward passThe"). Here the snippet is taken from the article alone, with a space after each
   block (a term, a cell, a heading). Jupyter Book loads every script in _static on every page;
   this one only acts where Sphinx's search (searchtools.js) is loaded. */
(function () {
  "use strict";
  const patch = () => {
    // searchtools.js declares `const Search`: a global binding, but not a property of window.
    if (typeof Search === "undefined" || typeof Search.htmlToText !== "function" || Search.htmlToText.neuronlab) {
      return;
    }
    const BLOCKS = "p, li, dt, dd, th, td, h1, h2, h3, h4, h5, h6, pre, div, section, figcaption, caption";
    const NOISE = ".headerlink, script, style, .bd-header-article, .header-article-main, " +
                  ".bd-sidebar-secondary, .prev-next-area, .bd-footer-article, .exercise-pair";
    const htmlToText = (htmlString, anchor) => {
      const page = new DOMParser().parseFromString(htmlString, "text/html");
      page.querySelectorAll(NOISE).forEach((element) => element.remove());
      page.querySelectorAll(BLOCKS).forEach((element) => element.append(" "));
      const main = page.querySelector('[role="main"] article') || page.querySelector('[role="main"]');
      if (!main) return "";
      let part = anchor ? main.querySelector(anchor) : null;
      let text = (part || main).textContent;
      // A glossary term's anchor is its <dt>: the snippet is the term and its definition.
      if (part && part.tagName === "DT") {
        for (let next = part.nextElementSibling; next && next.tagName !== "DT"; next = next.nextElementSibling) {
          text += " " + next.textContent;
        }
      }
      return text.replace(/\s+/g, " ").trim();
    };
    htmlToText.neuronlab = true;
    Search.htmlToText = htmlToText;
  };
  patch();
  document.addEventListener("DOMContentLoaded", patch);
})();
