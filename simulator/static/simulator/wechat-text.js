/* Rendering of what the service sends, safely.
 *
 * WeChat text messages may contain <a href="...">...</a> links and newlines;
 * nothing else is HTML. Everything is put into the page as text nodes, and
 * only http(s) and weixin:// links become <a> elements.
 */
"use strict";

window.WeChatText = (function () {
  var LINK = /<a\s+[^>]*?href\s*=\s*(["'])(.*?)\1[^>]*>([\s\S]*?)<\/a>/gi;
  var SAFE_URL = /^(https?:\/\/|weixin:\/\/)/i;

  /** Turn WeChat's few entities back into characters (as WeChat's client does). */
  function decodeEntities(text) {
    return text
      .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'").replace(/&amp;/g, "&");
  }

  /** A safe link element, or plain text when the URL is not http(s)/weixin. */
  function link(href, label) {
    var url = decodeEntities(href.trim());
    var text = decodeEntities(label.replace(/<[^>]*>/g, "")) || url;
    if (!SAFE_URL.test(url)) {
      return document.createTextNode(text);
    }
    var a = document.createElement("a");
    a.href = url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.textContent = text;
    return a;
  }

  /** A fragment for a WeChat text: text nodes, newlines kept by CSS, links as <a>. */
  function render(text) {
    var fragment = document.createDocumentFragment();
    var source = String(text == null ? "" : text);
    var last = 0;
    var match;
    LINK.lastIndex = 0;
    while ((match = LINK.exec(source)) !== null) {
      if (match.index > last) {
        fragment.appendChild(document.createTextNode(source.slice(last, match.index)));
      }
      fragment.appendChild(link(match[2], match[3]));
      last = LINK.lastIndex;
    }
    if (last < source.length) {
      fragment.appendChild(document.createTextNode(source.slice(last)));
    }
    return fragment;
  }

  /** True when a URL may be opened from the page. */
  function isSafeUrl(url) {
    return SAFE_URL.test(String(url || ""));
  }

  return { render: render, isSafeUrl: isSafeUrl };
})();
