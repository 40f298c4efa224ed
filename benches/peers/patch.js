// Applies the shared Entra PATCH fixtures to the enterprise user with npm scim-patch
// (with the JSON copy a server needs per request) for about 3 seconds; prints requests/s.
// Run by run.sh.
const fs = require("fs");
const path = require("path");
const { scimPatch } = require("scim-patch");
const dir = process.env.FIXTURES || path.join(__dirname, "../fixtures");
const user = JSON.parse(fs.readFileSync(path.join(dir, "enterprise-user.json"), "utf8"));
const bodies = JSON.parse(fs.readFileSync(path.join(dir, "entra-patches.json"), "utf8"));
// scim-patch wants lower-case ops and JSON booleans; give it the RFC-literal forms.
const lower = (op) => ({ ...op, op: op.op.toLowerCase(), value: op.value === "False" ? false : op.value });
const requests = bodies.map((b) => b.Operations.map(lower));
const usable = requests.filter((ops) => {
  try { scimPatch(structuredClone(user), ops); return true; } catch (e) { return false; }
});
const once = () => { for (const ops of usable) scimPatch(JSON.parse(JSON.stringify(user)), ops); };
for (let i = 0; i < 2000; i++) once(); // warm-up
let n = 0;
const start = process.hrtime.bigint();
let elapsed = 0;
while (elapsed < 3e9) {
  for (let i = 0; i < 100; i++) once();
  n += 100 * usable.length;
  elapsed = Number(process.hrtime.bigint() - start);
}
console.log(`scim-patch apply: ${Math.round(n / (elapsed / 1e9))} requests/s (${usable.length} of ${requests.length} Entra shapes accepted)`);
