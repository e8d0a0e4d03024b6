// A small Markdown renderer for the conversation view: headings, paragraphs, fenced code, lists, block quotes,
// rules, inline code, bold, italic and links. Safe by construction: every piece of the source is HTML-escaped
// before any tag is added, and links keep only http(s) and mailto targets. No dependencies; runs in the webview
// (as window.renderMarkdown) and under Node (module.exports, for the unit test).
(function (root) {
  'use strict';

  function escapeHtml(text) {
    return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  }

  /** Inline Markdown of one already-split piece of text; returns HTML. */
  function inline(text) {
    // Code spans first, kept aside so nothing inside them is formatted.
    const codes = [];
    // The two private-use characters mark the pieces kept aside; in the source they become U+FFFD.
    let s = text.replace(/[\uE000\uE001]/g, '\uFFFD').replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g, (_, ticks, code) => {
      codes.push(`<code>${escapeHtml(code.trim() === '' ? code : code.replace(/^ (.*) $/, '$1'))}</code>`);
      return `\uE000${codes.length - 1}\uE000`;
    });
    const links = [];
    s = s.replace(/\[([^\]\n]+)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g, (whole, label, href) => {
      if (!/^(https?:|mailto:)/i.test(href)) return whole;
      links.push({ label, href });
      return `\uE001${links.length - 1}\uE001`;
    });
    s = escapeHtml(s);
    s = s.replace(/\*\*([^*\n]+?)\*\*|__([^_\n]+?)__/g, (_, a, b) => `<strong>${a ?? b}</strong>`);
    s = s.replace(/(^|[^*\w])\*([^*\s][^*\n]*?)\*(?!\w)|(^|[^_\w])_([^_\s][^_\n]*?)_(?!\w)/g, (_, p1, a, p2, b) =>
      a !== undefined ? `${p1}<em>${a}</em>` : `${p2}<em>${b}</em>`,
    );
    s = s.replace(/\uE001(\d+)\uE001/g, (_, i) => {
      const link = links[Number(i)];
      return `<a href="${escapeHtml(link.href)}">${inline(link.label)}</a>`;
    });
    return s.replace(/\uE000(\d+)\uE000/g, (_, i) => codes[Number(i)]);
  }

  /** Markdown source to HTML. */
  function renderMarkdown(source) {
    const lines = String(source ?? '').replace(/\r\n?/g, '\n').split('\n');
    const out = [];
    let paragraph = [];
    let list = null; // {ordered, items: string[]}
    let quote = [];

    const flushParagraph = () => {
      if (paragraph.length) out.push(`<p>${paragraph.map(inline).join('<br>')}</p>`);
      paragraph = [];
    };
    const flushList = () => {
      if (list) out.push(`<${list.ordered ? 'ol' : 'ul'}>${list.items.map((i) => `<li>${inline(i)}</li>`).join('')}</${list.ordered ? 'ol' : 'ul'}>`);
      list = null;
    };
    const flushQuote = () => {
      if (quote.length) out.push(`<blockquote>${renderMarkdown(quote.join('\n'))}</blockquote>`);
      quote = [];
    };
    const flushAll = () => {
      flushParagraph();
      flushList();
      flushQuote();
    };

    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      const fence = /^ {0,3}(```+|~~~+)\s*([\w+#.-]*)/.exec(line);
      if (fence) {
        flushAll();
        const body = [];
        let j = i + 1;
        while (j < lines.length && !lines[j].trimStart().startsWith(fence[1])) body.push(lines[j++]);
        const lang = fence[2] ? ` class="language-${escapeHtml(fence[2])}"` : '';
        out.push(`<pre><code${lang}>${escapeHtml(body.join('\n'))}</code></pre>`);
        i = j; // the closing fence (or the end of an unclosed block, still streaming)
        continue;
      }
      const q = /^ {0,3}> ?(.*)$/.exec(line);
      if (q) {
        flushParagraph();
        flushList();
        quote.push(q[1]);
        continue;
      }
      flushQuote();
      if (!line.trim()) {
        flushParagraph();
        flushList();
        continue;
      }
      const heading = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
      if (heading) {
        flushAll();
        out.push(`<h${heading[1].length}>${inline(heading[2])}</h${heading[1].length}>`);
        continue;
      }
      if (/^ {0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
        flushAll();
        out.push('<hr>');
        continue;
      }
      const item = /^\s*([-*+]|\d{1,9}[.)])\s+(.*)$/.exec(line);
      if (item) {
        flushParagraph();
        const ordered = /\d/.test(item[1]);
        if (list && list.ordered !== ordered) flushList();
        if (!list) list = { ordered, items: [] };
        list.items.push(item[2]);
        continue;
      }
      if (list && /^\s{2,}\S/.test(line)) {
        list.items[list.items.length - 1] += ` ${line.trim()}`;
        continue;
      }
      flushList();
      paragraph.push(line);
    }
    flushAll();
    return out.join('\n');
  }

  root.renderMarkdown = renderMarkdown;
  root.escapeHtml = escapeHtml;
})(typeof module !== 'undefined' && module.exports ? module.exports : window);
