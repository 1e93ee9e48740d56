// The sandbox chat page: every message goes through the server (signed, encrypted callbacks to the
// bot's webhook); pushes to the chosen user stream in from the sandbox platform (server-sent events).
"use strict";

const $ = (id) => document.getElementById(id);
const log = $("log");
const who = $("who");
let people = null;
let stream = null;
let busy = false;

function note(text, error = false) {
  const line = document.createElement("div");
  line.className = error ? "note error" : "note";
  line.textContent = text;
  log.append(line);
  log.scrollTop = log.scrollHeight;
}

function bubble(side, { text = null, image = null, tag = null }) {
  const row = document.createElement("div");
  row.className = side === "me" ? "msg me" : "msg bot";
  const avatar = document.createElement("div");
  avatar.className = "avatar";
  avatar.textContent = side === "me" ? "我" : "助";
  const body = document.createElement("div");
  body.className = image ? "bubble image" : "bubble";
  if (tag) {
    const small = document.createElement("span");
    small.className = "tag";
    small.textContent = tag;
    body.append(small);
  }
  if (image) {
    const img = document.createElement("img");
    img.src = image;
    img.alt = "图片";
    img.addEventListener("load", () => { log.scrollTop = log.scrollHeight; });
    body.append(img);
  } else {
    body.append(document.createTextNode(text));
  }
  row.append(avatar, body);
  log.append(row);
  log.scrollTop = log.scrollHeight;
  return row;
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
  $("bind").hidden = !(selected.dataset.unit && !selected.dataset.bound);
  $("bind").textContent = "邀请码绑定";
  log.replaceChildren();
  note(`以 ${selected.textContent}（${who.value}）的身份聊天`);
  if (stream) stream.close();
  stream = new EventSource(`events?user=${encodeURIComponent(who.value)}`);
  stream.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    const tag = "推送 " + (message.at ? message.at.slice(5, 16).replace("T", " ") : "");
    bubble("bot", message.media ? { image: `media/${message.media}`, tag } : { text: message.text, tag });
  });
}

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
  pollClock();
})();
