// Shared browser code: config from the server, token in sessionStorage, fetch to the backend origin.
const CONFIG = window.APP_CONFIG || {};
const api = CONFIG.backendUrl.replace(/\/$/, "");

function token() { return sessionStorage.getItem("access_token"); }
function $(id) { return document.getElementById(id); }

async function call(method, path, body, withAuth = true) {
  const headers = { "Content-Type": "application/json" };
  if (withAuth && token()) headers["Authorization"] = "Bearer " + token();
  const resp = await fetch(api + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error((data && data.detail) || ("HTTP " + resp.status));
  return data;
}

// The owner pages need a session; the e2e bypass flag skips that check (never in production).
function requireSession() {
  if (CONFIG.bypassAuth) {
    const banner = document.createElement("div");
    banner.className = "banner";
    banner.id = "bypass-banner";
    banner.textContent = "E2E auth bypass is ON: this page skipped login.";
    document.querySelector("main").prepend(banner);
    $("who").textContent = "e2e-bypass";
    return true;
  }
  if (!token()) { location.href = "/login"; return false; }
  $("who").textContent = sessionStorage.getItem("email") || "owner";
  return true;
}

function logout() { sessionStorage.clear(); location.href = "/login"; }

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
  if (text !== undefined) node.textContent = text;
  return node;
}
