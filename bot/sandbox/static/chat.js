// The sandbox chat page: every message goes through the server (signed, encrypted callbacks to the
// bot's webhook); pushes to the chosen user stream in from the sandbox platform (server-sent events).
// Template cards, the app menu and the group chat (what its robot posted) look as they do in WeCom.
"use strict";

const $ = (id) => document.getElementById(id);
const log = $("log");
const who = $("who");
let people = null;
let stream = null;
let busy = false;
const GROUP = "#group";

function note(text, error = false) {
  const line = document.createElement("div");
  line.className = error ? "note error" : "note";
  line.textContent = text;
  log.append(line);
  log.scrollTop = log.scrollHeight;
}

function element(tag, className, text = null) {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== null) node.textContent = text;
  return node;
}

function row(side, body, avatarText = null) {
  const line = element("div", side === "me" ? "msg me" : "msg bot");
  line.append(element("div", "avatar", avatarText || (side === "me" ? "我" : "助")), body);
  log.append(line);
  log.scrollTop = log.scrollHeight;
  return line;
}

function bubble(side, { text = null, image = null, tag = null, avatar = null }) {
  const body = element("div", image ? "bubble image" : "bubble");
  if (tag) body.append(element("span", "tag", tag));
  if (image) {
    const img = document.createElement("img");
    img.src = image;
    img.alt = "图片";
    img.addEventListener("load", () => { log.scrollTop = log.scrollHeight; });
    body.append(img);
  } else {
    body.append(document.createTextNode(text));
  }
  return row(side, body, avatar);
}

function pushTag(at, prefix = "推送") {
  return prefix + " " + (at ? at.slice(5, 16).replace("T", " ") : "");
}

// A button card (按钮交互型): tapping a button sends WeCom's template_card_event through the server.
function card(message) {
  const { task_id: task, title, text, buttons, answered } = message.card;
  const body = element("div", "card");
  body.dataset.task = task;
  body.append(element("span", "tag", pushTag(message.at, "卡片")), element("div", "card-title", title));
  if (text) body.append(element("div", "card-text", text));
  const choices = element("div", "card-buttons");
  buttons.forEach((b) => {
    const button = element("button", "card-button", b.text);
    button.type = "button";
    button.addEventListener("click", async () => {
      button.classList.add("pressed");
      note(`点击了卡片按钮「${b.text}」`);
      await post("card/click", { user: currentUser(), task_id: task, key: b.key });
    });
    choices.append(button);
  });
  body.append(choices, element("div", "card-answered"));
  row("bot", body);
  if (answered) markAnswered(task, answered);
}

// The bot updated the card (update_template_card): its buttons now read as the answer, unclickable.
function markAnswered(task, text) {
  const body = log.querySelector(`.card[data-task="${CSS.escape(task)}"]`);
  if (!body) return;
  body.classList.add("answered");
  body.querySelectorAll(".card-button").forEach((button) => { button.disabled = true; });
  body.querySelector(".card-answered").textContent = text;
}

function showPush(message) {
  if (message.kind === "template_card") card(message);
  else if (message.kind === "card_update") markAnswered(message.task_id, message.answered);
  else if (message.media) bubble("bot", { image: `media/${message.media}`, tag: pushTag(message.at) });
  else bubble("bot", { text: message.text, tag: pushTag(message.at) });
}

function showGroupMessage(message) {
  const tag = pushTag(message.at, message.kind === "markdown" ? "群机器人 · markdown" : "群机器人");
  bubble("bot", message.image ? { image: message.image, tag, avatar: "机" } : { text: message.text, tag, avatar: "机" });
}

function option(value, label, extra = {}) {
  const opt = document.createElement("option");
  opt.value = value;
  opt.textContent = label;
  Object.assign(opt.dataset, extra);
  return opt;
}

function fillPeople() {
  const contact = document.createElement("optgroup");
  contact.label = "联系人";
  people.contact.forEach((p) => contact.append(option(p.id, p.label)));
  const stranger = document.createElement("optgroup");
  stranger.label = "其他";
  stranger.append(option("stranger", "新的陌生人（未绑定）"));
  who.append(contact);
  people.units.forEach((unit) => {
    const group = document.createElement("optgroup");
    group.label = unit.name;
    unit.liaisons.forEach((p) =>
      group.append(option(p.id, `${unit.name} · ${p.label}`, { unit: unit.name, bound: p.bound ? "1" : "" })));
    who.append(group);
  });
  who.append(stranger);
  if (people.group) {
    const group = document.createElement("optgroup");
    group.label = "群聊";
    group.append(option(people.group.id, people.group.label));
    who.append(group);
  }
  if (people.venue.lat !== null) {
    $("lat").value = people.venue.lat;
    $("lng").value = people.venue.lng;
  }
  $("label").value = people.venue.label;
}

function currentUser() {
  return who.value;
}

function choose() {
  if (who.value === "stranger") {
    const id = "stranger-" + Math.random().toString(16).slice(2, 10);
    const opt = option(id, `陌生人 ${id}`);
    who.querySelector("optgroup:last-of-type").append(opt);
    who.value = id;
  }
  const selected = who.selectedOptions[0];
  const group = who.value === GROUP;
  $("bind").hidden = !(selected.dataset.unit && !selected.dataset.bound);
  $("bind").textContent = "邀请码绑定";
  log.replaceChildren();
  document.body.classList.toggle("group", group);
  note(group ? "活动工作群：群机器人发到群里的消息（只读）" : `以 ${selected.textContent}（${who.value}）的身份聊天`);
  if (stream) stream.close();
  stream = new EventSource(`events?user=${encodeURIComponent(who.value)}`);
  stream.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (group) showGroupMessage(message);
    else showPush(message);
  });
}

// The app menu (menu/create) as WeCom's bottom bar; a tap sends the click event through the server.
function fillMenu(state) {
  const bar = $("menu-items");
  bar.replaceChildren();
  $("to-menu").hidden = state.buttons.length === 0;
  if (state.buttons.length === 0) {
    showMenu(false);
    $("install-menu").hidden = !state.configured;
    return;
  }
  $("install-menu").hidden = true;
  state.buttons.forEach((top) => {
    const item = element("div", "menu-item");
    const button = element("button", "menu-button", top.name);
    button.type = "button";
    item.append(button);
    if (top.sub_button && top.sub_button.length) {
      const list = element("div", "menu-sub");
      list.hidden = true;
      top.sub_button.forEach((sub) => list.append(menuEntry(sub)));
      button.addEventListener("click", () => {
        bar.querySelectorAll(".menu-sub").forEach((other) => { if (other !== list) other.hidden = true; });
        list.hidden = !list.hidden;
      });
      item.append(list);
    } else {
      button.addEventListener("click", () => tapMenu(top));
    }
    bar.append(item);
  });
  showMenu(true);
}

function menuEntry(button) {
  const entry = element("button", "menu-entry", button.name);
  entry.type = "button";
  entry.addEventListener("click", () => {
    entry.parentElement.hidden = true;
    tapMenu(button);
  });
  return entry;
}

async function tapMenu(button) {
  if (button.type === "view") {
    window.open(button.url, "_blank", "noopener");
    return;
  }
  note(`点击了菜单「${button.name}」`);
  await post("menu/click", { user: currentUser(), key: button.key });
}

function showMenu(on) {
  $("menu").hidden = !on;
  $("compose").hidden = on;
}

async function loadMenu() {
  const response = await fetch("menu");
  if (response.ok) fillMenu(await response.json());
}

$("to-menu").addEventListener("click", () => showMenu(true));
$("to-keyboard").addEventListener("click", () => showMenu(false));
$("install-menu").addEventListener("click", async () => {
  $("install-menu").disabled = true;
  const response = await fetch("menu/install", { method: "POST" });
  $("install-menu").disabled = false;
  if (!response.ok) {
    note(`菜单没有装上：${await response.text()}`, true);
    return;
  }
  const answer = await response.json();
  answer.done.forEach((line) => note(line));
  fillMenu({ buttons: answer.buttons, configured: true });
});

// POST to the page's server; ``shown`` sees the answer before its reply is shown.
async function post(path, body, shown = null) {
  busy = true;
  $("send").disabled = true;
  try {
    const init = body instanceof FormData ? { method: "POST", body } : {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
    const response = await fetch(path, init);
    if (!response.ok) {
      note(`没有发出去：${(await response.text()) || response.status}`, true);
      return null;
    }
    const answer = await response.json();
    if (shown) shown(answer);
    if (answer.reply) bubble("bot", { text: answer.reply });
    return answer;
  } catch (error) {
    note(`没有发出去：${error}`, true);
    return null;
  } finally {
    busy = false;
    $("send").disabled = false;
  }
}

$("compose").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("text").value.trim();
  if (!text || busy) return;
  $("text").value = "";
  bubble("me", { text });
  await post("say", { user: currentUser(), text });
});

$("text").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $("compose").requestSubmit();
  }
});

$("bind").addEventListener("click", async () => {
  const selected = who.selectedOptions[0];
  const answer = await post("bind", { user: currentUser(), unit: selected.dataset.unit },
    (sent) => bubble("me", { text: sent.sent }));
  if (answer) {
    if (answer.reply && answer.reply.startsWith("绑定成功")) {
      selected.dataset.bound = "1";
      selected.textContent = selected.textContent.replace("（需绑定）", "（已绑定）");
      $("bind").hidden = true;
    }
  }
});

$("photo").addEventListener("click", () => $("photo-file").click());
$("photo-file").addEventListener("change", async () => {
  const file = $("photo-file").files[0];
  $("photo-file").value = "";
  if (!file) return;
  bubble("me", { image: URL.createObjectURL(file) });
  const form = new FormData();
  form.append("user", currentUser());
  form.append("photo", file);
  await post("photo", form);
});

$("place").addEventListener("click", () => { $("where").hidden = !$("where").hidden; });
$("where").addEventListener("submit", async (event) => {
  event.preventDefault();
  const lat = Number($("lat").value), lng = Number($("lng").value), label = $("label").value.trim();
  if (!Number.isFinite(lat) || !Number.isFinite(lng)) return;
  $("where").hidden = true;
  bubble("me", { text: `📍 ${label || "位置"}\n${lat.toFixed(5)}, ${lng.toFixed(5)}` });
  await post("location", { user: currentUser(), lat, lng, label });
});

function showClock(state) {
  $("clock").hidden = !state.virtual;
  if (!state.virtual) return false;
  $("clock-now").textContent = state.label;
  $("clock-speed").textContent = `×${state.speed}`;
  $("clock-next").textContent = state.next ? `下一条：${state.next.label} ${state.next.name}` : "推送计划已走完";
  $("jump").disabled = !state.can_jump;
  return true;
}

async function pollClock() {
  try {
    const state = await (await fetch("clock")).json();
    if (showClock(state)) setTimeout(pollClock, 1000);
  } catch (error) {
    setTimeout(pollClock, 5000);
  }
}

$("jump").addEventListener("click", async () => {
  $("jump").disabled = true;
  const response = await fetch("clock/jump", { method: "POST" });
  if (response.ok) showClock(await response.json());
});

(async () => {
  people = await (await fetch("people")).json();
  $("campaign").textContent = `${people.campaign} · 沙箱`;
  fillPeople();
  who.addEventListener("change", choose);
  choose();
  loadMenu();
  pollClock();
})();
