// Parses the shared filter fixtures with npm scim2-parse-filter for about 3 seconds and
// prints filters/second. Run by run.sh.
const fs = require("fs");
const path = require("path");
const { parse } = require("scim2-parse-filter");
const dir = process.env.FIXTURES || path.join(__dirname, "../fixtures");
const filters = JSON.parse(fs.readFileSync(path.join(dir, "filters.json"), "utf8"));
for (let i = 0; i < 20000; i++) for (const f of filters) parse(f); // warm-up
let n = 0;
const start = process.hrtime.bigint();
let elapsed = 0;
while (elapsed < 3e9) {
  for (let i = 0; i < 1000; i++) for (const f of filters) parse(f);
  n += 1000 * filters.length;
  elapsed = Number(process.hrtime.bigint() - start);
}
console.log(`scim2-parse-filter parse: ${Math.round(n / (elapsed / 1e9))} filters/s`);
