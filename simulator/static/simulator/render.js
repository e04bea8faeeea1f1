/* Drawing the chat: bubbles, template cards, news articles, notices.
 *
 * Every string that came from the service is inserted with textContent or
 * through WeChatText.render (which only lets WeChat's <a href> through).
 */
"use strict";

window.ChatRender = (function () {
  var lastStamp = 0;

  /** An element with a class and optional text. */
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text != null) { node.textContent = text; }
    return node;
  }

  /** "5月20日 09:30" from an ISO date-time (shown in Beijing time as sent). */
  function shortTime(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso || "");
    if (!m) { return ""; }
    return Number(m[2]) + "月" + Number(m[3]) + "日 " + m[4] + ":" + m[5];
  }

  /** A centred time label when more than 3 minutes passed since the last one. */
  function maybeStamp(container, iso) {
    var t = Date.parse(iso || "");
    if (!t || t - lastStamp < 3 * 60 * 1000) { return; }
    lastStamp = t;
    container.appendChild(el("div", "stamp", shortTime(iso)));
  }

  /** One chat row: avatar and content, on the left (account) or the right (citizen). */
  function row(container, side, content, avatarText) {
    var line = el("div", "row-msg " + side);
    line.appendChild(el("div", "avatar", avatarText));
    line.appendChild(content);
    container.appendChild(line);
    return line;
  }

  /** A text bubble; WeChat links and newlines kept. */
  function textBubble(text, label) {
    var bubble = el("div", "bubble");
    if (label) { bubble.appendChild(el("span", "tag", label)); }
    var body = el("div", "text");
    body.appendChild(WeChatText.render(text));
    bubble.appendChild(body);
    return bubble;
  }

  /** A news (图文) card: one article with title, description, link. */
  function articleCard(articles, label) {
    var card = el("div", "card news");
    if (label) { card.appendChild(el("span", "tag", label)); }
    (articles || []).forEach(function (a, index) {
      var item = el(a.url && WeChatText.isSafeUrl(a.url) ? "a" : "div", index ? "article small" : "article");
      if (item.tagName === "A") {
        item.href = a.url;
        item.target = "_blank";
        item.rel = "noopener noreferrer";
      }
      item.appendChild(el("div", "article-title", a.title || "（无标题）"));
      if (a.description) { item.appendChild(el("div", "article-desc", a.description)); }
      card.appendChild(item);
    });
    return card;
  }

  /** A template message / subscribe notification as WeChat's service card. */
  function templateCard(payload, iso, label) {
    var card = el("div", "card template");
    card.appendChild(el("div", "card-title", payload.title || payload.template_id || "服务通知"));
    card.appendChild(el("div", "card-date", shortTime(iso)));
    var list = el("dl", "fields");
    (payload.fields || []).forEach(function (f) {
      list.appendChild(el("dt", null, f.label || f.key));
      list.appendChild(el("dd", null, f.value || ""));
    });
    card.appendChild(list);
    var url = payload.url || "";
    if (url && WeChatText.isSafeUrl(url)) {
      var footer = el("a", "card-footer");
      footer.href = url;
      footer.target = "_blank";
      footer.rel = "noopener noreferrer";
      footer.appendChild(el("span", null, "详情"));
      footer.appendChild(el("span", "chevron", "›"));
      card.appendChild(footer);
    }
    if (label) { card.insertBefore(el("span", "tag", label), card.firstChild); }
    return card;
  }

  /** Placeholder text for media the simulator cannot show. */
  function mediaText(type, detail) {
    var names = { image: "[图片]", voice: "[语音]", video: "[视频]", music: "[音乐]", mpnews: "[图文消息]",
      mpvideo: "[视频]", wxcard: "[卡券]", miniprogrampage: "[小程序]", mpnewsarticle: "[图文消息]" };
    var title = detail && (detail.title || detail.Title);
    return (names[type] || "[" + type + "]") + (title ? " " + title : "");
  }

  /** A customer-service message or a passive reply (their payloads differ slightly). */
  function serviceMessage(type, content, label) {
    if (type === "text") { return textBubble(content.content, label); }
    if (type === "news") { return articleCard(content.articles, label); }
    if (type === "msgmenu") {
      var lines = [content.head_content || ""].concat((content.list || []).map(function (o) { return "· " + o.content; }));
      return textBubble(lines.concat([content.tail_content || ""]).join("\n").trim(), label);
    }
    if (type === "transfer_customer_service") { return textBubble("（已转人工客服）", label); }
    return textBubble(mediaText(type, content), label);
  }

  /** The content element for one recorded message from /_admin/messages. */
  function incoming(message) {
    var p = message.payload || {};
    switch (message.kind) {
      case "passive":
        if (p.type === "news") { return articleCard(p.articles); }
        return p.type === "text" ? textBubble(p.content) : serviceMessage(p.type, p.detail || {});
      case "custom":
        return serviceMessage(p.msgtype, p[p.msgtype] || {}, null);
      case "template":
        return templateCard(p, message.at, "");
      case "subscribe":
        return templateCard(p, message.at, "订阅通知");
      case "mass":
        var label = p.preview ? "群发预览" : "群发消息";
        return serviceMessage(p.msgtype, p[p.msgtype] || {}, label);
      default:
        return textBubble(JSON.stringify(p));
    }
  }

  /** A grey system line in the middle of the chat. */
  function notice(container, text, title) {
    var line = el("div", "notice", text);
    if (title) { line.title = title; }
    container.appendChild(line);
  }

  function resetStamps() { lastStamp = 0; }

  return {
    el: el, row: row, incoming: incoming, textBubble: textBubble, notice: notice,
    maybeStamp: maybeStamp, resetStamps: resetStamps
  };
})();
