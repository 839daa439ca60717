// Training tab: the notes list and the owner simulator.
import { createClient } from "../lib/api.js";

export function mountSimulator(root, client, twinId) {
  const input = root.querySelector("#simulator-input");
  const answer = root.querySelector("#simulator-answer");
  root.querySelector("#simulator-send").addEventListener("click", async () => {
    answer.textContent = "...";
    const data = await client.chat(twinId, input.value);
    answer.textContent = data.answer;
  });
}

export function start(config, root) {
  const client = createClient(config.backendUrl, () => sessionStorage.getItem("access_token"));
  mountSimulator(root, client, sessionStorage.getItem("twin_id"));
}
