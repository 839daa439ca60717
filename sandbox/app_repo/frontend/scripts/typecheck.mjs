// Typecheck gate without a download: every source file must parse (`node --check`), and the
// package must declare the Node major it targets (the Vercel project runtime has to match it).
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const engine = pkg.engines && pkg.engines.node;
if (!engine || !/^\d+\.x$/.test(engine)) {
  console.error(`package.json: engines.node is ${JSON.stringify(engine)}; declare the target major like "20.x"`);
  process.exit(1);
}
const localMajor = process.versions.node.split(".")[0];
if (`${localMajor}.x` !== engine) {
  console.warn(`warning: local node ${process.versions.node} differs from engines.node ${engine}`);
}

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(m?js)$/.test(name) ? [path] : [];
  });
}

const files = sources(join(root, "src"));
let failed = 0;
for (const file of files) {
  try {
    execFileSync(process.execPath, ["--check", file], { stdio: "pipe" });
  } catch (err) {
    failed += 1;
    console.error(`${relative(root, file)}: ${String(err.stderr).trim().split("\n").slice(0, 4).join("\n")}`);
  }
}
if (failed) {
  console.error(`typecheck: ${failed} of ${files.length} files failed`);
  process.exit(1);
}
console.log(`typecheck: ${files.length} files ok (engines.node ${engine})`);
