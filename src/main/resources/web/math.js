// Finds the LaTeX a model writes (\(…\), \[…\], $…$, $$…$$, a bare \boxed{…}) and renders it with KaTeX, in the
// answer's markdown and in the plain-text thinking. Code (fenced blocks, inline spans) is never scanned, and a
// dollar amount is not math: an inline $…$ needs a non-space after its opening $, a non-space before its closing
// $, no digit right after it, and no other $ between.
'use strict';

window.ggufMath = (() => {
  const isSpace = (c) => c === undefined || /\s/.test(c);
  const isDigit = (c) => c !== undefined && c >= '0' && c <= '9';

  /** The end of a code span or fenced block starting at i, or -1 when none starts there. */
  const codeEnd = (text, i) => {
    const lineStart = i === 0 || text[i - 1] === '\n';
    const fence = text.startsWith('```', i) ? '```' : text.startsWith('~~~', i) ? '~~~' : null;
    if (fence && lineStart) {
      const close = text.indexOf('\n' + fence, i + 3);
      return close < 0 ? text.length : close + 1 + fence.length;
    }
    if (text[i] !== '`') {
      return -1;
    }
    let n = 0;
    while (text[i + n] === '`') {
      n++;
    }
    const ticks = '`'.repeat(n);
    let j = text.indexOf(ticks, i + n);
    while (j >= 0 && text[j + n] === '`') { // a longer run does not close it
      j = text.indexOf(ticks, j + n + 1);
    }
    return j < 0 ? i + n : j + n;
  };

  /** The index just past the brace group opening at i ({…}, nested), or -1. */
  const braceEnd = (text, i) => {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      if (text[j] === '\\') {
        j++;
      } else if (text[j] === '{') {
        depth++;
      } else if (text[j] === '}' && --depth === 0) {
        return j + 1;
      }
    }
    return -1;
  };

  /** An inline $…$ opening at i: its end, or -1. */
  const dollarEnd = (text, i) => {
    if (isSpace(text[i + 1]) || text[i + 1] === '$' || text[i - 1] === '\\') {
      return -1;
    }
    const close = text.indexOf('$', i + 1);
    if (close < 0 || isSpace(text[close - 1]) || text[close - 1] === '\\' || isDigit(text[close + 1])
        || text.slice(i, close).includes('\n\n')) {
      return -1;
    }
    return close + 1;
  };

  /** Splits text into [{text}] and [{tex, display}] segments. */
  const split = (text) => {
    const out = [];
    let plain = 0;
    let i = 0;
    const math = (start, end, tex, display) => {
      if (!tex.trim()) {
        return false;
      }
      if (start > plain) {
        out.push({ text: text.slice(plain, start) });
      }
      out.push({ tex, display, source: text.slice(start, end) });
      plain = end;
      i = end;
      return true;
    };
    const delimited = (open, close, display) => {
      if (!text.startsWith(open, i)) {
        return false;
      }
      const end = text.indexOf(close, i + open.length);
      return end >= 0 && math(i, end + close.length, text.slice(i + open.length, end), display);
    };
    while (i < text.length) {
      const code = codeEnd(text, i);
      if (code > i) {
        i = code;
        continue;
      }
      if (delimited('$$', '$$', true) || delimited('\\[', '\\]', true) || delimited('\\(', '\\)', false)) {
        continue;
      }
      if (text[i] === '$') {
        const end = dollarEnd(text, i);
        if (end > 0 && math(i, end, text.slice(i + 1, end - 1), false)) {
          continue;
        }
      }
      if (text.startsWith('\\boxed{', i)) {
        const end = braceEnd(text, i + 6);
        if (end > 0 && math(i, end, text.slice(i, end), false)) {
          continue;
        }
      }
      i++;
    }
    if (plain < text.length) {
      out.push({ text: text.slice(plain) });
    }
    return out;
  };

  /** KaTeX's HTML for one formula; the source as text when KaTeX is missing or refuses it. */
  const html = (segment) => {
    if (!window.katex) {
      return null;
    }
    try {
      return window.katex.renderToString(segment.tex, {
        displayMode: segment.display, throwOnError: false, trust: false, strict: 'ignore', maxExpand: 1000,
        maxSize: 50,
      });
    } catch (e) {
      return null;
    }
  };

  const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;',
    '"': '&quot;', "'": '&#39;' })[c]);

  /**
   * Markdown with its math replaced by placeholders (letters and digits: markdown leaves them alone), and the
   * function that puts the rendered formulas back into the HTML made from it.
   */
  const protect = (text) => {
    const segments = split(text);
    const tag = 'GGUFMATH' + Math.random().toString(36).slice(2, 8).toUpperCase();
    const formulas = [];
    const markdown = segments.map((s) => {
      if (s.text !== undefined) {
        return s.text;
      }
      formulas.push(s);
      return tag + (formulas.length - 1) + 'X';
    }).join('');
    const restore = (htmlText) => htmlText.replace(new RegExp(tag + '(\\d+)X', 'g'), (m, n) => {
      const s = formulas[Number(n)];
      return html(s) || escapeHtml(s.source);
    });
    return { markdown, restore };
  };

  /** Plain text with its formulas rendered, into element (the thinking block). */
  const renderText = (element, text, sanitize) => {
    element.replaceChildren();
    for (const s of split(text)) {
      if (s.text !== undefined) {
        element.appendChild(document.createTextNode(s.text));
        continue;
      }
      const rendered = html(s);
      if (!rendered) {
        element.appendChild(document.createTextNode(s.source));
        continue;
      }
      const span = document.createElement('span');
      span.innerHTML = sanitize(rendered);
      element.appendChild(span);
    }
  };

  return { split, protect, renderText };
})();
