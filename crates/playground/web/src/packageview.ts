// The Result pane's package part: the per-test table of a submission judged on
// an uploaded problem package, the group scores, and (interactive problems,
// when the server recorded it) the dialogue.

import * as api from "./api";
import type { PackageInfo, PackageReport, TestRow } from "./api";
import { byId, h } from "./dom";

/** Colour class of a package verdict, as the status badges use them. */
export function verdictTone(v: string): string {
  if (v === "AC") return "ok";
  if (v === "WA" || v === "PE") return "wrong";
  if (v === "JE") return "internal";
  if (v === "Skipped") return "idle";
  return "error";
}

function num(v: number | null | undefined, digits = 3): string {
  return v == null ? "–" : String(Number(v.toFixed(digits)));
}

function score(v: number | null, max: number | null): string {
  if (v == null) return "–";
  return max == null ? num(v) : `${num(v)} / ${num(max)}`;
}

function testRow(t: TestRow): HTMLTableRowElement {
  return h(
    "tr",
    {},
    h("td", {}, t.name),
    h("td", {}, t.group),
    h("td", {}, h("span", { class: `verdict ${verdictTone(t.verdict)}` }, t.verdict), t.detail ? ` ${t.detail}` : ""),
    h("td", { class: "num" }, `${num(t.time)} s`),
    h("td", { class: "num" }, `${t.memory_kb} KiB`),
    h("td", { class: "num" }, score(t.score, t.max_score)),
    h("td", { class: "msg" }, t.message ?? ""),
  );
}

/** Hides the package part (a plain run, or a new submission). */
export function hidePackage(): void {
  byId("out-package").hidden = true;
}

/** Shows a package report. */
export function showPackage(r: PackageReport): void {
  byId("out-package").hidden = false;
  const total = r.score != null ? `, score ${score(r.score, r.max_score)}` : "";
  byId("package-summary").textContent = `${r.verdict}${total}, time limit ${num(r.time_limit)} s`;
  byId("package-tests").querySelector("tbody")?.replaceChildren(...r.tests.map(testRow));
  const groups = byId("package-groups");
  groups.hidden = r.groups.length === 0;
  groups.querySelector("tbody")?.replaceChildren(
    ...r.groups.map((g) =>
      h(
        "tr",
        {},
        h("td", {}, g.path),
        h("td", {}, h("span", { class: `verdict ${verdictTone(g.verdict)}` }, g.verdict)),
        h("td", { class: "num" }, score(g.score, g.max_score)),
        h("td", {}, g.aggregation),
      ),
    ),
  );
  // The dialogue of the first failed interactive test, else of the first one.
  const talked = r.tests.filter((t) => t.transcript);
  const shown = talked.find((t) => t.verdict !== "AC") ?? talked[0];
  byId("package-dialogue").hidden = !shown;
  const t = shown?.transcript;
  byId("dialogue-test").textContent = shown ? `(test ${shown.name})` : "";
  const cut = [t?.solution_truncated && "the solution's", t?.interactor_truncated && "the interactor's"].filter(Boolean);
  byId("package-transcript").replaceChildren(
    ...(t?.messages ?? []).map((m) => h("div", { class: `say ${m.side}` }, h("b", {}, `${m.side}: `), m.text)),
    ...(cut.length ? [h("div", { class: "hint" }, `Cut: ${cut.join(" and ")} writing went past 64 KiB.`)] : []),
  );
}

const ID = /^[0-9a-f]{64}$/;

/** The package id typed or uploaded, if it has the form of one. */
export function packageId(): string | undefined {
  const v = byId<HTMLInputElement>("package-id").value.trim();
  return ID.test(v) ? v : undefined;
}

function describe(p: PackageInfo): string {
  return `${p.name} (${p.type}, ${p.format_version}): ${p.test_count} tests in ${p.groups.length} groups`;
}

/** Wires the package box: an upload fills the id; a typed id is looked up. */
export function wirePackageBox(onChange: () => void): void {
  const file = byId<HTMLInputElement>("package-file");
  const id = byId<HTMLInputElement>("package-id");
  const info = byId("package-info");
  file.addEventListener("change", async () => {
    const f = file.files?.[0];
    if (!f) return;
    info.textContent = `Uploading ${f.name}…`;
    try {
      const p = await api.uploadPackage(await f.arrayBuffer());
      id.value = p.id;
      info.textContent = describe(p);
    } catch (e) {
      info.textContent = (e as Error).message;
    }
    onChange();
  });
  id.addEventListener("change", async () => {
    onChange();
    const pid = packageId();
    if (!pid) {
      info.textContent = id.value.trim() ? "A package id is 64 hex digits." : "";
      return;
    }
    try {
      info.textContent = describe(await api.packageInfo(pid));
    } catch (e) {
      info.textContent = (e as Error).message;
    }
  });
  id.addEventListener("input", onChange);
}
