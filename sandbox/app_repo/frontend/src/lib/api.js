// Browser client of the twin API; the base URL comes from NEXT_PUBLIC_BACKEND_URL.
export function createClient(baseUrl, getToken) {
  const base = baseUrl.replace(/\/$/, "");
  async function call(method, path, body) {
    const headers = { "Content-Type": "application/json" };
    const token = getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    const resp = await fetch(base + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) throw new Error(data.detail || `HTTP ${resp.status}`);
    return data;
  }
  return {
    login: (email, password) => call("POST", "/auth/login", { email, password }),
    twins: () => call("GET", "/twins"),
    chat: (twinId, message) => call("POST", `/twins/${twinId}/chat`, { message, channel: "owner" }),
    shareChat: (token, message) => call("POST", `/public/share/${encodeURIComponent(token)}/chat`, { message }),
    feedback: (twinId, messageId, rating) => call("POST", "/feedback", { twin_id: twinId, message_id: messageId, rating }),
  };
}
