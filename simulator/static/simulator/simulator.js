/* The phone simulator: a citizen chatting with the official account.
 *
 * Every action goes to /simulator/api/send (the emulator posts it to the
 * service's /wechat); what reaches the phone is polled from /simulator/api/inbox.
 * Citizens and the citizen's own sent texts live in localStorage.
 */
"use strict";

(function () {
  var cfg = document.body.dataset;
  var API = cfg.base.replace(/\/$/, "") + "/api";
  var POLL_MS = 1500;
  var $ = function (id) { return document.getElementById(id); };
  var R = window.ChatRender;

  var state = { openid: "", nickname: "", lastId: 0, epoch: null, following: false, seen: {}, online: true };

  // --- storage ----------------------------------------------------------------

  function load(key, fallback) {
    try { return JSON.parse(localStorage.getItem(key)) || fallback; } catch (e) { return fallback; }
  }
  function save(key, value) { localStorage.setItem(key, JSON.stringify(value)); }
  function users() { return load("sim.users", []); }
  function ownLog() { return load("sim.log." + state.openid, { epoch: null, items: [] }); }

  function rememberUser(openid, nickname) {
    var list = users().filter(function (u) { return u.openid !== openid; });
    list.unshift({ openid: openid, nickname: nickname });
    save("sim.users", list.slice(0, 30));
    localStorage.setItem("sim.current", openid);
  }

  /** An openid shaped like WeChat's (28 characters starting with "o"). */
  function newOpenid() {
    var chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    var bytes = new Uint8Array(27);
    crypto.getRandomValues(bytes);
    return "o" + Array.prototype.map.call(bytes, function (b) { return chars[b % 64]; }).join("");
  }

  // --- talking to the blueprint ------------------------------------------------

  function showBanner(text) { $("banner").textContent = text; $("banner").hidden = false; }
  function hideBanner() { $("banner").hidden = true; }

  /** JSON call to the blueprint; an unreachable emulator shows the banner. */
  function api(path, options) {
    options = options || {};
    var headers = { "Content-Type": "application/json" };
    var token = document.querySelector('meta[name="csrf-token"]').content;
    if (token) { headers["X-CSRFToken"] = token; }
    return fetch(API + path, {
      method: options.method || "GET",
      headers: headers,
      body: options.body ? JSON.stringify(options.body) : undefined
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.status === 502 || data.error === "emulator_unavailable") {
          state.online = false;
          showBanner(data.message || "无法连接微信接口模拟器，请确认已启动。");
          throw new Error("emulator_unavailable");
        }
        if (!state.online) { state.online = true; hideBanner(); }
        data._status = response.status;
        return data;
      });
    }, function (error) {
      showBanner("无法连接本服务，请确认服务仍在运行后刷新本页。");
      throw error;
    });
  }

  // --- chat --------------------------------------------------------------------

  function scrollDown() { var chat = $("chat"); chat.scrollTop = chat.scrollHeight; }
  function initial(name) { return (name || "我").trim().charAt(0) || "我"; }

  function drawOwn(text) {
    R.row($("messages"), "right", R.textBubble(text), initial(state.nickname));
  }

  function drawIncoming(message) {
    if (state.seen[message.id]) { return; }
    state.seen[message.id] = true;
    R.maybeStamp($("messages"), message.at);
    R.row($("messages"), "left", R.incoming(message), "政");
  }

  function notice(text, title) { R.notice($("messages"), text, title); scrollDown(); }

  /** Redraw everything: recorded messages merged with the citizen's own texts. */
  function redraw(messages) {
    $("messages").textContent = "";
    state.seen = {};
    R.resetStamps();
    var own = ownLog().items.map(function (o) { return { order: o.afterId + 0.5, own: o }; });
    var got = messages.map(function (m) { return { order: m.id, message: m }; });
    own.concat(got).sort(function (a, b) { return a.order - b.order; }).forEach(function (entry) {
      if (entry.own) { drawOwn(entry.own.text); } else { drawIncoming(entry.message); }
    });
    scrollDown();
  }

  /** Fetch what reached the phone since the last poll (everything after a reset). */
  function poll(full) {
    if (!state.openid) { return Promise.resolve(); }
    var since = full ? 0 : state.lastId;
    return api("/inbox?openid=" + encodeURIComponent(state.openid) + "&since_id=" + since).then(function (data) {
      var log = ownLog();
      if (data.epoch && log.epoch && data.epoch !== log.epoch) {
        // The emulator was restarted or reset: its message ids start again.
        save("sim.log." + state.openid, { epoch: data.epoch, items: [] });
        state.lastId = 0;
        return poll(true);
      }
      if (data.epoch && !log.epoch) { log.epoch = data.epoch; save("sim.log." + state.openid, log); }
      var messages = data.messages || [];
      if (full) { redraw(messages); } else { messages.forEach(drawIncoming); }
      messages.forEach(function (m) { state.lastId = Math.max(state.lastId, m.id); });
      if (messages.length) { scrollDown(); }
    }).catch(function () { /* banner already shown */ });
  }

  /** Post what the citizen did; show WeChat's notices for failures. */
  function send(body) {
    body.openid = state.openid;
    body.nickname = state.nickname;
    body.retry = $("retry").checked;
    return api("/send", { method: "POST", body: body }).then(function (data) {
      if (data._status === 409 || data._status === 400) { notice(data.message || "发送失败"); }
      (data.replies || []).forEach(function (reply) {
        // The reason (timeout, HTTP 403, bad XML...) helps the developer; WeChat shows only the first part.
        if (reply.type === "error") { notice(reply.content + (reply.reason ? "（" + reply.reason + "）" : ""), reply.reason); }
      });
      return poll(false).then(function () { return data; });
    }).catch(function () { return {}; });
  }

  function sendText(text) {
    var log = ownLog();
    log.items.push({ afterId: state.lastId, text: text });
    save("sim.log." + state.openid, log);
    drawOwn(text);
    scrollDown();
    return send({ type: "text", content: text });
  }

  function sendEvent(event, key, extra) {
    var body = { type: "event", event: event, event_key: key || "" };
    Object.keys(extra || {}).forEach(function (k) { body[k] = extra[k]; });
    return send(body);
  }

  // --- follow state ------------------------------------------------------------

  function showFollowing(following) {
    state.following = following;
    $("profile").hidden = following;
    $("bar").hidden = !following;
    $("unfollow").hidden = !following;
    if (!following) { $("submenu").hidden = true; }
  }

  function refreshUser() {
    return api("/user?openid=" + encodeURIComponent(state.openid)).then(function (user) {
      showFollowing(Boolean(user.subscribe));
    }).catch(function () { showFollowing(false); });
  }

  function follow() {
    return sendEvent("subscribe").then(refreshUser).then(loadMenu);
  }

  function unfollow() {
    if (!window.confirm("不再关注后，将不再收到其下发的消息。确定不再关注？")) { return; }
    sendEvent("unsubscribe").then(refreshUser).then(function () { notice("你已不再关注该公众号"); });
  }

  // --- the custom menu ---------------------------------------------------------

  var KEY_EVENTS = ["scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album",
    "pic_weixin", "location_select"];

  // --- the in-app browser --------------------------------------------------------

  /** Open ``url`` inside the phone as the citizen shown: the emulator notes who holds the phone
   *  (for web authorisation), then redirects to the page. */
  function openInApp(url, title) {
    if (!WeChatText.isSafeUrl(url)) { return; }
    var emulator = cfg.emulator.replace(/\/$/, "");
    $("browser-title").textContent = title || "网页";
    $("browser-frame").src = emulator + "/_phone/open?openid=" + encodeURIComponent(state.openid) +
      "&url=" + encodeURIComponent(url);
    $("browser").hidden = false;
  }

  function closeInApp() {
    $("browser").hidden = true;
    $("browser-frame").src = "about:blank";
  }

  /** What a tap on a menu button does, by WeChat button type. */
  function tap(button) {
    $("submenu").hidden = true;
    if (button.type === "click") { return sendEvent("CLICK", button.key); }
    if (button.type === "view") {
      openInApp(button.url, button.name);
      return sendEvent("VIEW", button.url);
    }
    if (button.type === "scancode_push" || button.type === "scancode_waitmsg") {
      var result = window.prompt("模拟扫码：请输入二维码内容", "") || "";
      return sendEvent(button.type, button.key, { content: result });
    }
    if (KEY_EVENTS.indexOf(button.type) >= 0) { return sendEvent(button.type, button.key); }
    notice("模拟器不支持该菜单类型：" + button.type);
  }

  function openSubmenu(button, anchor) {
    var box = $("submenu");
    if (!box.hidden && box.dataset.owner === button.name) { box.hidden = true; return; }
    box.textContent = "";
    box.dataset.owner = button.name;
    button.sub_button.forEach(function (sub) {
      var item = R.el("button", "submenu-item", sub.name);
      item.type = "button";
      item.setAttribute("role", "menuitem");
      item.addEventListener("click", function () { tap(sub); });
      box.appendChild(item);
    });
    var phone = $("phone").getBoundingClientRect();
    var rect = anchor.getBoundingClientRect();
    box.hidden = false;
    var left = rect.left - phone.left + rect.width / 2 - box.offsetWidth / 2;
    box.style.left = Math.max(8, Math.min(left, phone.width - box.offsetWidth - 8)) + "px";
  }

  function drawMenu(menu) {
    var nav = $("menu");
    nav.textContent = "";
    var buttons = (menu && menu.button) || [];
    if (!buttons.length) {
      nav.appendChild(R.el("span", "menu-empty", "（公众号尚未设置菜单）"));
      return;
    }
    buttons.forEach(function (button) {
      var item = R.el("button", "menu-item", button.name);
      item.type = "button";
      var subs = button.sub_button || [];
      if (subs.length) {
        item.classList.add("has-sub");
        item.addEventListener("click", function () { openSubmenu(button, item); });
      } else {
        item.addEventListener("click", function () { tap(button); });
      }
      nav.appendChild(item);
    });
  }

  function loadMenu() {
    return api("/menu").then(function (data) { drawMenu(data.menu); }).catch(function () { drawMenu(null); });
  }

  // --- citizens ----------------------------------------------------------------

  function useCitizen(openid, nickname) {
    state.openid = openid;
    state.nickname = nickname || "市民";
    state.lastId = 0;
    rememberUser(openid, state.nickname);
    $("who").textContent = state.nickname + "（" + openid.slice(0, 10) + "…）";
    $("who").title = openid;
    history.replaceState(null, "", "?openid=" + encodeURIComponent(openid));
    return refreshUser().then(function () { return poll(true); });
  }

  function openUserDialog() {
    var list = $("user-list");
    list.textContent = "";
    users().forEach(function (u) {
      var item = R.el("li");
      var pick = R.el("button", "user-pick", u.nickname + "  " + u.openid);
      pick.type = "button";
      pick.addEventListener("click", function () { $("user-dialog").close("pick"); useCitizen(u.openid, u.nickname); });
      item.appendChild(pick);
      list.appendChild(item);
    });
    $("new-nickname").value = "";
    $("new-openid").value = "";
    $("user-dialog").showModal();
  }

  function createFromDialog() {
    var nickname = $("new-nickname").value.trim() || "市民" + Math.floor(Math.random() * 900 + 100);
    var openid = $("new-openid").value.trim() || newOpenid();
    useCitizen(openid, nickname);
  }

  function startingCitizen() {
    var fromUrl = cfg.openid;
    if (fromUrl) {
      var known = users().filter(function (u) { return u.openid === fromUrl; })[0];
      return { openid: fromUrl, nickname: cfg.nickname || (known && known.nickname) || "市民" };
    }
    var current = localStorage.getItem("sim.current");
    var saved = users().filter(function (u) { return u.openid === current; })[0];
    return saved || { openid: newOpenid(), nickname: "市民" + Math.floor(Math.random() * 900 + 100) };
  }

  // --- wiring ------------------------------------------------------------------

  function checkEmulator() {
    return api("/status").then(function (data) {
      $("webhook-info").textContent = "模拟器推送地址：" + (data.webhook || "未设置") + "（" +
        (data.mode === "aes" ? "安全模式" : "明文模式") + "）";
    }).catch(function () { /* banner shown */ });
  }

  function wire() {
    $("follow").addEventListener("click", follow);
    $("unfollow").addEventListener("click", unfollow);
    $("more").addEventListener("click", function () { if (state.following) { unfollow(); } });
    $("switch-user").addEventListener("click", openUserDialog);
    $("create-user").addEventListener("click", createFromDialog);
    $("retry").checked = localStorage.getItem("sim.retry") === "1";
    $("retry").addEventListener("change", function () {
      localStorage.setItem("sim.retry", $("retry").checked ? "1" : "0");
    });
    $("clear").addEventListener("click", function () {
      save("sim.log." + state.openid, { epoch: ownLog().epoch, items: [] });
      $("messages").textContent = "";
      state.seen = {};
    });
    $("to-keyboard").addEventListener("click", function () {
      $("menu-mode").hidden = true; $("input-mode").hidden = false; $("submenu").hidden = true; $("text").focus();
    });
    $("to-menu").addEventListener("click", function () { $("menu-mode").hidden = false; $("input-mode").hidden = true; });
    $("input-mode").addEventListener("submit", function (event) {
      event.preventDefault();
      var text = $("text").value.trim();
      if (!text) { return; }
      $("text").value = "";
      sendText(text);
    });
    $("chat").addEventListener("click", function () { $("submenu").hidden = true; });
    $("browser-close").addEventListener("click", closeInApp);
    // Links in messages (text links, cards) open in the in-app browser, as in WeChat.
    $("messages").addEventListener("click", function (event) {
      var link = event.target.closest("a[href]");
      if (!link) { return; }
      event.preventDefault();
      openInApp(link.href, link.textContent.trim().slice(0, 20));
    });
  }

  function tick() {
    var now = new Date();
    $("clock").textContent = now.getHours() + ":" + String(now.getMinutes()).padStart(2, "0");
  }

  wire();
  tick();
  setInterval(tick, 30000);
  checkEmulator().then(loadMenu).then(function () {
    var citizen = startingCitizen();
    return useCitizen(citizen.openid, citizen.nickname);
  });
  setInterval(function () { if (!document.hidden) { poll(false); } }, POLL_MS);
  setInterval(function () { if (!state.online) { checkEmulator().then(loadMenu).then(refreshUser); } }, 5000);
})();
