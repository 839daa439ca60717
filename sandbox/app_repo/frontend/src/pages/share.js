// Public share page: chat only, never a training write.
import { createClient } from "../lib/api.js";

export function start(config, root, shareToken) {
  const client = createClient(config.backendUrl, () => null);
  root.querySelector("#share-send").addEventListener("click", async () => {
    const data = await client.shareChat(shareToken, root.querySelector("#share-input").value);
    root.querySelector("#share-answer").textContent = data.answer;
  });
}
