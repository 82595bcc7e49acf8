// The npm library piston-client (pinned, unchanged) against a real `flash serve`:
// runtimes, then every language of programs.json with stdin, the output read
// from its answer. Run by scripts/clients-compat.sh; directly:
//
//   FLASH_URL=http://127.0.0.1:2358 node --test piston_client.test.mjs

import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import piston from "piston-client";

const BASE = (process.env.FLASH_URL ?? "").replace(/\/+$/, "");
if (!BASE) throw new Error("set FLASH_URL");
const programs = JSON.parse(fs.readFileSync(new URL("programs.json", import.meta.url), "utf8"));

test("piston-client lists the runtimes", async () => {
  const client = piston({ server: BASE });
  const runtimes = await client.runtimes();
  const names = runtimes.map((r) => r.language);
  for (const p of Object.values(programs)) assert.ok(names.includes(p.piston), `${p.piston} in ${names}`);
});

for (const [name, p] of Object.entries(programs)) {
  test(`piston-client runs ${name}`, async () => {
    const client = piston({ server: BASE });
    const r = await client.execute(p.piston, p.source, { stdin: p.no_stdin ? "" : "flash\n", args: [] });
    assert.equal(r.success, undefined, JSON.stringify(r));
    assert.equal(r.run.stdout.trim(), "hsalf", JSON.stringify(r));
    assert.equal(r.run.code, 0);
  });
}
